import Foundation

/// Durations and times as jcrun shows them to people.
public enum DurationFormat {
    /// `0.4s`, `2.1s`, `59.9s`, `3m04s`, `1h02m`, `2d03h`.
    public static func short(_ interval: TimeInterval) -> String {
        let seconds = max(0, interval)
        if seconds < 59.95 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        if whole < 86400 { return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60) }
        return String(format: "%dd%02dh", whole / 86400, whole % 86400 / 3600)
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
