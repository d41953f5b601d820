import Foundation

/// Durations and times as jcrun shows them to people.
public enum DurationFormat {
    /// `0.4s`, `2.1s`, `59.9s`, `3m04s`, `1h02m`, `2d03h`.
    ///
    /// Written without `String(format:)`, whose Foundation formatter cost
    /// more than the rest of a build's finish line (`%.1f` is C's own).
    public static func short(_ interval: TimeInterval) -> String {
        let seconds = max(0, interval)
        if seconds < 59.95 { return oneDecimal(seconds) + "s" }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60)m" + twoDigits(whole % 60) + "s" }
        if whole < 86400 { return "\(whole / 3600)h" + twoDigits(whole % 3600 / 60) + "m" }
        return "\(whole / 86400)d" + twoDigits(whole % 86400 / 3600) + "h"
    }

    /// `%.1f` of C's printf (round half to even on the exact binary value).
    /// Tenths are rounded in Swift unless the value is within a hair of a
    /// tie, where only printf's exact arithmetic tells the side.
    private static func oneDecimal(_ value: Double) -> String {
        let tenths = value * 10
        let fraction = tenths - tenths.rounded(.down)
        if abs(fraction - 0.5) > 1e-6 && tenths < 1e15 {
            let whole = Int(tenths.rounded())
            return "\(whole / 10).\(whole % 10)"
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            let count = withVaList([value]) { vsnprintf(buffer.baseAddress, 32, "%.1f", $0) }
            let bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(max(0, min(count, 31))))
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// How long ago, for listings: `12s ago`, `5m ago`, `3h ago`, `2d ago`.
    public static func age(since date: Date, now: Date) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        if seconds < 60 { return "\(seconds)s ago" }
        if seconds < 3600 { return "\(seconds / 60)m ago" }
        if seconds < 86400 { return "\(seconds / 3600)h ago" }
        return "\(seconds / 86400)d ago"
    }
}
