import CSpawn

/// Signal names as jcrun shows and stores them (`SIGKILL`), from glibc's
/// table; real-time signals as `SIGRTMIN+N`.
public enum SignalName {
    /// `SIGTERM` for 15; `signal 99` for a number with no name.
    public static func of(_ signal: Int32) -> String {
        if let abbrev = jc_signal_abbrev(signal) { return "SIG" + String(cString: abbrev) }
        let rtmin: Int32 = 34  // glibc keeps 32 and 33 for itself
        if signal >= rtmin, signal <= 64 { return "SIGRTMIN+\(signal - rtmin)" }
        return "signal \(signal)"
    }

    /// The number of `SIGTERM`, `TERM` or `term`; nil when unknown.
    public static func number(of name: String) -> Int32? {
        var wanted = name.uppercased()
        if !wanted.hasPrefix("SIG") { wanted = "SIG" + wanted }
        return (1...64).first { of(Int32($0)) == wanted }.map(Int32.init)
    }
}
