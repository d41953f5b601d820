extension RunSpec {
    /// The variable that carries `job`'s return value to its dependents:
    /// `JCRUN_RETVAL_` then the id with ASCII letters upper-cased and every
    /// other character outside `A-Z0-9` turned into one `_` (`crawl-é.1` →
    /// `JCRUN_RETVAL_CRAWL__1`). Two ids may map to the same name; the
    /// config step reports that as a definition error.
    public static func retvalVariableName(for job: JobID) -> String {
        var name = "JCRUN_RETVAL_"
        name.reserveCapacity(name.utf8.count + job.utf8.count)
        for character in job {
            guard let ascii = character.asciiValue else {
                name.append("_")
                continue
            }
            switch ascii {
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                name.append(Character(Unicode.Scalar(ascii - 32)))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                name.append(character)
            default: name.append("_")
            }
        }
        return name
    }
}
