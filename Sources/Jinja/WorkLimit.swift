/// The most work one rendering may do, so that a runaway loop or recursion
/// fails with a message instead of hanging jcrun (README: "templates cannot
/// run away").
///
/// Work is counted in steps: each iteration of a `for` loop (recursive
/// ones too) and each macro call, `caller()`, include and import. One file
/// may take 1,000,000 steps, about 2 s of the simplest loop body in a
/// release build. The W5 benchmark (500 jobs per file, one macro call and
/// one iteration each) takes about 1,000 steps per file and the example
/// pipeline fewer than 100: the limit is 1,000 times what a large real file
/// needs, while a 5-million-iteration loop, or loops nested three deep over
/// `range(1000)`, stops at once.
//
// What filters, calls and operators make or go through is charged by size
// (`Renderer.charge`): every 8 list items or 64 bytes of text are a step, so
// one 10,000,000-item list, or sixteen 60 MB strings, spend the budget.
enum WorkLimit {
    /// Steps one rendering may take. Task-local so tests can lower it.
    @TaskLocal static var maximumSteps = 1_000_000

    /// The error at the step that passed the limit.
    static var message: String {
        "too much template work: more than \(maximumSteps) steps in one file (loop iterations,"
            + " macro calls, and every 8 list items or 64 bytes of text a filter or operator makes;"
            + " is a loop or a recursion running away?)"
    }
}
