/// Progress figures as text: `45/100 Download webpages :: foo -- status`.
public enum ProgressText {
    public static func figures(_ update: ProgressUpdate) -> String {
        var text = "\(update.current)/\(update.total.map(String.init) ?? "?")"
        if !update.group.isEmpty { text += " " + update.group.joined(separator: " :: ") }
        if let status = update.status { text += " -- " + status }
        return text
    }

    /// `45%`, or nil when the total is not known. A total of 0 is done.
    public static func percent(current: Int, total: Int?) -> Int? {
        guard let total else { return nil }
        guard total > 0 else { return 100 }
        // Figures near Int.max are valid protocol input: compute without overflow.
        let (scaled, overflow) = current.multipliedReportingOverflow(by: 100)
        if !overflow { return max(0, min(100, scaled / total)) }
        return max(0, min(100, Int(Double(current) / Double(total) * 100)))
    }
}
