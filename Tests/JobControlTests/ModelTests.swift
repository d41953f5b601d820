import Testing
@testable import JobControl

@Test func logLevelsAreOrderedBySeverity() {
    #expect(LogLevel.debug < .info)
    #expect(LogLevel.error < .critical)
    #expect(!(LogLevel.warning < .info))
}

@Test func onlyExitSignalAndTimeoutFailuresAreRetried() {
    #expect(FailureKind.allCases.filter(\.isRetried) == [.exit, .signal, .timeout])
}
