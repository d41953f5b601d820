/// Executes parsed templates into one output buffer, recording where each
/// run of output came from.
///
/// One renderer serves one `render` call; it is not shared between threads.
final class Renderer {
    // The hot state is marked `@exclusivity(unchecked)`: dynamic exclusivity
    // checks cost about a tenth of rendering time, and a renderer is used by
    // one thread and never hands out overlapping accesses to these.
    let loader: any TemplateLoader
    let cache: TemplateCache
    let globals: Scope
    @exclusivity(unchecked) var output: [UInt8] = []
    @exclusivity(unchecked) var map = OriginMap()
    /// The template whose statements are executing; positions are relative to it.
    @exclusivity(unchecked) var template: Template
    @exclusivity(unchecked) var sourceIndex: UInt16 = 0
    @exclusivity(unchecked) var frame: Int32 = -1
    private var sourceIndices: [ObjectIdentifier: UInt16] = [:]
    private var modules: [String: RDict] = [:]
    /// `Environment.missingKeyNouns`.
    var missingKeyNouns: [String: String] = [:]
    /// Names bound by `import ... as NAME`, to the template's name, so a
    /// missing member reads "'_m.j2' has no macro 'x'".
    var moduleAliases: [String: String] = [:]
    @exclusivity(unchecked) private var depth = 0
    static let maximumDepth = 100
    /// The template rendered from the top (the file, or an included one) and its inheritance.
    private var root: RootState?
    /// `SizeLimit.maximumBytes`, read once.
    let maximumBytes = SizeLimit.maximumBytes
    /// Steps left of `WorkLimit.maximumSteps`: loop iterations and frames.
    @exclusivity(unchecked) private var stepsLeft = WorkLimit.maximumSteps

    /// Takes one step of the work budget; throws at `offset` once it is spent.
    @inline(__always) private func step(at offset: Int) throws {
        stepsLeft -= 1
        if stepsLeft < 0 { throw error(WorkLimit.message, at: offset) }
    }

    /// Charges the budget for `value`, which a filter, call or operator made
    /// or went through: every 8 items of a list or 64 bytes of a string are a
    /// step, so that sorting or repeating huge values in a loop runs out as
    /// a loop does (a tester's loop over a 10,000,000-item `sort` took 40 s
    /// and 3.9 GB within the step count alone).
    @inline(__always) func charge(_ value: RV, at offset: Int) throws {
        let cost: Int
        switch value {
        case .string(let text): cost = text.utf8.count >> 6
        case .list(let items), .tuple(let items): cost = items.count >> 3
        case .dict(let dict): cost = dict.count >> 3
        default: return
        }
        guard cost > 0 else { return }
        stepsLeft -= cost
        if stepsLeft < 0 { throw error(WorkLimit.message, at: offset) }
    }

    init(loader: any TemplateLoader, cache: TemplateCache, globals: Scope, template: Template) {
        self.loader = loader
        self.cache = cache
        self.globals = globals
        self.template = template
        self.sourceIndex = index(of: template.source)
        output.reserveCapacity(max(1 << 16, template.source.bytes.count * 2))
    }

    func index(of source: SourceText) -> UInt16 {
        let id = ObjectIdentifier(source)
        if let index = sourceIndices[id] { return index }
        let index = UInt16(truncatingIfNeeded: map.sources.count)
        map.sources.append(source)
        sourceIndices[id] = index
        return index
    }

    func error(_ message: String, at offset: Int, suggestion: String? = nil) -> TemplateError {
        TemplateError(
            position: template.source.position(of: offset), message: message,
            suggestion: suggestion)
    }

    // MARK: - Output

    private func beginSegment(offset: Int, literal: Bool) {
        map.segments.append(
            Segment(
                outputStart: UInt32(truncatingIfNeeded: output.count),
                offset: UInt32(truncatingIfNeeded: max(0, offset)),
                frame: frame, source: sourceIndex, isLiteral: literal))
    }

    func emit(_ text: String, at offset: Int) {
        guard !text.isEmpty else { return }
        beginSegment(offset: offset, literal: false)
        output.append(contentsOf: text.utf8)
    }

    private func emitLiteral(start: Int, end: Int) {
        beginSegment(offset: start, literal: true)
        output.append(contentsOf: template.source.bytes[start..<end])
    }

    /// Runs `body` and returns what it wrote instead of keeping it in the output.
    func capture(_ body: () throws -> Void) throws -> String {
        let outputMark = output.count
        let segmentMark = map.segments.count
        try body()
        let text = String(decoding: output[outputMark...], as: UTF8.self)
        output.removeSubrange(outputMark...)
        map.segments.removeSubrange(segmentMark...)
        return text
    }

    /// Runs `body` inside a macro call or include frame, with `template` current.
    private func withFrame<T>(
        _ macroName: String?, importing: Bool = false, template inner: Template, definedAt: Int,
        calledAt: Int, _ body: () throws -> T
    ) throws -> T {
        guard depth < Renderer.maximumDepth else {
            if macroName == nil, !importing,
                let cycle = IncludeCycle.find(
                    entering: inner.source, at: calledAt, from: template.source, frame: frame,
                    map: map, limit: Renderer.maximumDepth)
            {
                throw cycle
            }
            throw error(
                "too many nested macro calls or includes (more than \(Renderer.maximumDepth))",
                at: calledAt)
        }
        try step(at: calledAt)
        let innerIndex = index(of: inner.source)
        map.frames.append(
            FrameRecord(
                macroName: macroName, isImport: importing, definedSource: Int32(innerIndex),
                definedOffset: Int32(truncatingIfNeeded: definedAt),
                calledSource: Int32(sourceIndex),
                calledOffset: Int32(truncatingIfNeeded: calledAt), parent: frame))
        let saved = (template, sourceIndex, frame)
        template = inner
        sourceIndex = innerIndex
        frame = Int32(map.frames.count - 1)
        depth += 1
        defer {
            (template, sourceIndex, frame) = saved
            depth -= 1
        }
        do {
            return try body()
        } catch var error as TemplateError {
            // Name the call that led into the frame, so an error inside a
            // macro also says where the macro was called from.
            error.frames.append(
                Origin.Frame(
                    what: FrameRecord.describe(macroName: macroName, isImport: importing),
                    definedAt: inner.source.position(of: definedAt),
                    calledFrom: saved.0.source.position(of: calledAt)))
            throw error
        }
    }

    // MARK: - Statements

    func render(_ nodes: [Node], in scope: Scope) throws {
        for node in nodes {
            // After `{% extends %}`, a template's own top-level output is not
            // written: its parent's is, with this template's blocks in it.
            if let root, root.parent != nil, root.isTopLevel(template, depth: depth) {
                switch node {
                case .text, .output, .block, .callBlock, .filterBlock: continue
                default: break
                }
            }
            switch node {
            case .text(let start, let end):
                emitLiteral(start: start, end: end)
                if output.count > maximumBytes { throw outputTooLarge(at: start) }
            case .output(let expr, let at):
                if case .call(let calleeExpr, let arguments, let callAt) = expr {
                    let callee = try evaluate(calleeExpr, in: scope)
                    if case .macro(let macro) = callee {
                        let args = try evaluate(
                            arguments, in: scope, .macro, macro.definition.name,
                            at: callAt)
                        try renderMacro(macro, args, calledAt: callAt)
                        continue
                    }
                    if case .loop(let state) = callee, let recursion = state.recursion {
                        let args = try evaluate(arguments, in: scope, .function, "loop", at: callAt)
                        try renderRecursion(recursion, args, depth0: state.depth0 + 1, at: callAt)
                        if output.count > maximumBytes { throw outputTooLarge(at: at) }
                        continue
                    }
                    let value = try call(callee, arguments, in: scope, at: callAt)
                    try sized(at: at) { emit(try value.str(), at: at) }
                    if output.count > maximumBytes { throw outputTooLarge(at: at) }
                    continue
                }
                let value = try evaluate(expr, in: scope)
                try sized(at: at) { emit(try value.str(), at: at) }
                if output.count > maximumBytes { throw outputTooLarge(at: at) }
            case .set(let target, let expr, let at):
                try assign(target, try evaluate(expr, in: scope), in: scope, at: at)
            case .setBlock(let target, let body, let filters, let at):
                var value = RV.string(try capture { try render(body, in: scope) })
                value = try applyFilters(filters, to: value, in: scope)
                try assign(target, value, in: scope, at: at)
            case .ifChain(let branches, let elseBody):
                try renderIf(branches, elseBody, in: scope)
            case .forLoop(let loop):
                try renderFor(loop, in: scope)
            case .macro(let definition):
                scope.vars[definition.name] = .macro(
                    Macro(definition: definition, template: template, closure: scope))
            case .include(let name, let ignoreMissing, let withContext, let at):
                try renderInclude(
                    name, ignoreMissing: ignoreMissing, withContext: withContext,
                    in: scope, at: at)
            case .importAs(let name, let alias, let withContext, let at):
                let module = try importModule(name, withContext: withContext, in: scope, at: at)
                scope.vars[alias] = .dict(module.exports)
                moduleAliases[alias] = module.name
            case .fromImport(let name, let names, let withContext, let at):
                let module = try importModule(name, withContext: withContext, in: scope, at: at)
                for (imported, alias, offset) in names {
                    if imported.hasPrefix("_") {
                        throw error(
                            "names starting with an underscore cannot be imported", at: offset)
                    }
                    scope.vars[alias] =
                        module.exports[.string(imported)]
                        ?? .undefined(
                            Undefined(
                                reason: .export(imported, module.name, module.exports.stringKeys),
                                source: template.source, offset: offset))
                }
            case .filterBlock(let filters, let body, let at):
                let text = RV.string(try capture { try render(body, in: scope) })
                let value = try applyFilters(filters, to: text, in: scope)
                try sized(at: at) { emit(try value.str(), at: at) }
                if output.count > maximumBytes { throw outputTooLarge(at: at) }
            case .with(let assignments, let body):
                let inner = Scope(parent: scope)
                for (target, expr) in assignments {
                    try assign(target, try evaluate(expr, in: scope), in: inner, at: expr.offset)
                }
                try render(body, in: inner)
            case .callBlock(let caller, let call, let at):
                try renderCallBlock(caller, call, in: scope, at: at)
                if output.count > maximumBytes { throw outputTooLarge(at: at) }
            case .extends(let nameExpr, let at):
                try extend(nameExpr, in: scope, at: at)
            case .block(let block):
                // As in Jinja, the block written here decides whether every
                // definition of it sees the variables around it.
                let around = block.isScoped ? scope : (root?.scope ?? scope)
                try renderBlock(named: block.name, level: 0, around: around, at: block.offset)
                if output.count > maximumBytes { throw outputTooLarge(at: block.offset) }
            }
        }
    }

    private func outputTooLarge(at offset: Int) -> TemplateError {
        error(
            "rendered text of \(output.count) bytes is too large (the limit is \(SizeLimit.described))",
            at: offset)
    }

    private func applyFilters(
        _ filters: [(String, Arguments, Int)], to value: RV, in scope: Scope
    ) throws -> RV {
        var value = value
        for (name, arguments, offset) in filters {
            value = try applyFilter(name, to: value, arguments, in: scope, at: offset)
        }
        return value
    }

    func assign(_ target: AssignTarget, _ value: RV, in scope: Scope, at offset: Int) throws {
        switch target {
        case .name(let name):
            scope.vars[name] = value
        case .attribute(let name, let attribute, let at):
            let object =
                scope.lookup(name)
                ?? .undefined(
                    Undefined(
                        reason: .variable(name, scope), source: template.source, offset: offset))
            switch object {
            case .namespace(let namespace): namespace.values[.string(attribute)] = value
            case .undefined(let u): throw u.error
            default:
                throw error(
                    "cannot assign attribute '\(attribute)' on \(object.typeName); only a namespace() takes one",
                    at: at)
            }
        case .tuple(let targets):
            guard let items = try value.iterate() else {
                throw error("cannot unpack \(value.typeName)", at: offset)
            }
            guard items.count == targets.count else {
                let problem = items.count > targets.count ? "too many" : "not enough"
                throw error(
                    "\(problem) values to unpack (expected \(targets.count), got \(items.count))",
                    at: offset)
            }
            for (inner, item) in zip(targets, items) {
                try assign(inner, item, in: scope, at: offset)
            }
        }
    }

    private func renderIf(_ branches: [(Expr, [Node])], _ elseBody: [Node], in scope: Scope) throws
    {
        for (condition, body) in branches where try evaluate(condition, in: scope).truthy() {
            try render(body, in: scope)
            return
        }
        try render(elseBody, in: scope)
    }

    private func renderFor(_ loop: ForLoop, in scope: Scope) throws {
        let iterable = try evaluate(loop.iterable, in: scope)
        let recursion = loop.isRecursive ? LoopState.Recursion(loop: loop, scope: scope) : nil
        try renderLoop(loop, over: iterable, at: loop.iterable.offset, in: scope,
            recursion: recursion, depth0: 0)
    }

    private func renderLoop(
        _ loop: ForLoop, over iterable: RV, at offset: Int, in scope: Scope,
        recursion: LoopState.Recursion?, depth0: Int
    ) throws {
        guard var items = try iterable.iterate() else {
            throw error("cannot loop over \(iterable.typeName)", at: offset)
        }
        let loopScope = Scope(parent: scope)
        if let condition = loop.condition {
            items = try items.filter { item in
                try assign(loop.target, item, in: loopScope, at: loop.offset)
                return try evaluate(condition, in: loopScope).truthy()
            }
        }
        if items.isEmpty {
            try render(loop.elseBody, in: scope)
            return
        }
        let state = LoopState(items: items, depth0: depth0, recursion: recursion)
        loopScope.vars["loop"] = .loop(state)
        for (index, item) in items.enumerated() {
            try step(at: offset)
            state.index0 = index
            try assign(loop.target, item, in: loopScope, at: loop.offset)
            try render(loop.body, in: loopScope)
        }
    }

    /// `loop(items)` inside a recursive for: the loop again over `items`, one level deeper.
    func renderRecursion(
        _ recursion: LoopState.Recursion, _ args: CallArguments, depth0: Int, at offset: Int
    ) throws {
        guard args.positional.count == 1, args.keyword.isEmpty else {
            throw error(
                "loop() takes 1 argument, the items to loop over, \(args.positional.count + args.keyword.count) given",
                at: offset)
        }
        guard depth < Renderer.maximumDepth else {
            throw error(
                "too many nested recursive loops (more than \(Renderer.maximumDepth))", at: offset)
        }
        depth += 1
        defer { depth -= 1 }
        try renderLoop(
            recursion.loop, over: args.positional[0], at: offset, in: recursion.scope,
            recursion: recursion, depth0: depth0)
    }

    // MARK: - Macros

    /// A macro's arguments bound to its parameters, with what it takes beyond them.
    struct BoundArguments {
        /// One per parameter; nil where neither given nor defaulted yet.
        var parameters: [RV?]
        /// Positional arguments past the parameters (`varargs`).
        var extraPositional: [RV] = []
        /// Keyword arguments naming no parameter (`kwargs`), in call order.
        var extraKeyword = RDict()
        /// The `caller` given by a `{% call %}` block or as a keyword.
        var caller: RV?
    }

    /// Binds call arguments to a macro's parameters by position and keyword.
    ///
    /// As in Jinja, extra positional arguments are accepted only by a macro
    /// whose body reads `varargs`, unknown keywords only by one that reads
    /// `kwargs`, and `caller` only by one that reads `caller`.
    ///
    /// - Throws: for too many arguments or an unknown or repeated keyword.
    private func bindMacro(_ macro: Macro, _ args: CallArguments, calledAt: Int) throws
        -> BoundArguments
    {
        let definition = macro.definition
        let parameters = definition.parameters
        let what = "macro '\(definition.name)'"
        guard args.positional.count <= parameters.count || definition.takesVarargs else {
            let count = parameters.count
            throw error(
                "\(what) takes \(count) \(args.plural(count)), \(args.positional.count) given",
                at: calledAt)
        }
        var bound = BoundArguments(parameters: [RV?](repeating: nil, count: parameters.count))
        for (index, value) in args.positional.enumerated() {
            if index < parameters.count {
                bound.parameters[index] = value
            } else {
                bound.extraPositional.append(value)
            }
        }
        for (name, value) in args.keyword {
            guard let index = parameters.firstIndex(where: { $0.0 == name }) else {
                if name == "caller", definition.takesCaller {
                    bound.caller = value
                } else if definition.takesKwargs {
                    guard bound.extraKeyword[.string(name)] == nil else {
                        throw error("\(what) got argument '\(name)' twice", at: calledAt)
                    }
                    bound.extraKeyword[.string(name)] = value
                } else {
                    throw error(
                        "\(what) has no argument '\(name)'", at: calledAt,
                        suggestion: closestName(to: name, in: parameters.map(\.0)))
                }
                continue
            }
            guard bound.parameters[index] == nil else {
                throw error("\(what) got argument '\(name)' twice", at: calledAt)
            }
            bound.parameters[index] = value
        }
        return bound
    }

    /// Renders a macro's body straight into the output, inside a frame naming the call.
    ///
    /// Defaults are evaluated at the call, in the macro's scope, so a default
    /// may use the parameters before it, as in Jinja.
    func renderMacro(_ macro: Macro, _ args: CallArguments, calledAt: Int) throws {
        let bound = try bindMacro(macro, args, calledAt: calledAt)
        let definition = macro.definition
        let scope = Scope(parent: macro.closure, capacity: definition.parameters.count + 3)
        let callSource = template.source
        try withFrame(
            definition.name, template: macro.template, definedAt: definition.offset,
            calledAt: calledAt
        ) {
            for (index, (name, defaultExpr)) in definition.parameters.enumerated() {
                if let value = bound.parameters[index] {
                    scope.vars[name] = value
                } else if let defaultExpr {
                    scope.vars[name] = try evaluate(defaultExpr, in: scope)
                } else {
                    scope.vars[name] = .undefined(
                        Undefined(
                            reason: .hint(
                                "macro '\(definition.name)' was called without argument '\(name)'"),
                            source: callSource, offset: calledAt))
                }
            }
            if definition.takesVarargs { scope.vars["varargs"] = .tuple(bound.extraPositional) }
            if definition.takesKwargs { scope.vars["kwargs"] = .dict(bound.extraKeyword) }
            if definition.takesCaller {
                // A call block's own body is a macro named `caller` with no caller.
                let hint =
                    definition.isCallBlockBody
                    ? "the body of a {% call %} block has no 'caller' of its own"
                    : "macro '\(definition.name)' was not called from a {% call %} block"
                scope.vars["caller"] =
                    bound.caller
                    ?? .undefined(
                        Undefined(reason: .hint(hint), source: callSource, offset: calledAt))
            }
            try render(definition.body, in: scope)
        }
    }

    /// Renders `{% call(params) macro(args) %}body{% endcall %}`: the macro,
    /// with the body as its `caller`.
    /// TODO(#2): an error inside the body of a call block names the call
    /// site's frame, not always the exact position inside the body.
    private func renderCallBlock(
        _ caller: MacroDefinition, _ call: Expr, in scope: Scope, at offset: Int
    ) throws {
        guard case .call(let calleeExpr, let arguments, let callAt) = call else { return }
        let callee = try evaluate(calleeExpr, in: scope)
        guard case .macro(let macro) = callee else {
            if case .undefined(let u) = callee { throw u.error }
            throw error(
                "a call block calls a macro, not \(callee.typeName)", at: calleeExpr.offset)
        }
        var args = try evaluate(arguments, in: scope, .macro, macro.definition.name, at: callAt)
        guard macro.definition.takesCaller else {
            throw error(
                "macro '\(macro.definition.name)' does not use 'caller', so it takes no call block",
                at: calleeExpr.offset)
        }
        if args.keyword.contains(where: { $0.0 == "caller" }) {
            throw error(
                "macro '\(macro.definition.name)' got 'caller' from both the call block and an argument",
                at: callAt)
        }
        args.keyword.append(
            ("caller", .macro(Macro(definition: caller, template: template, closure: scope))))
        try renderMacro(macro, args, calledAt: callAt)
    }

    func callMacro(_ macro: Macro, _ args: CallArguments, calledAt: Int) throws -> RV {
        .string(try capture { try renderMacro(macro, args, calledAt: calledAt) })
    }

    // MARK: - Inheritance

    /// A template rendered from the top, and what `extends` and `block` need while it renders.
    private struct RootState {
        let template: Template
        /// The scope its top-level statements run in; blocks see it.
        let scope: Scope
        let depth: Int
        /// Set by `{% extends %}`: rendered once the template's own statements end.
        var parent: Template?
        var parentAt = 0
        /// For each block name, its definitions from the most derived template down.
        var blocks: [String: [(BlockDefinition, Template)]] = [:]

        /// Whether `template` at `depth` is running the root's own top-level statements.
        func isTopLevel(_ current: Template, depth current_depth: Int) -> Bool {
            current === template && current_depth == depth
        }

        mutating func addBlocks(of template: Template) {
            for (name, block) in template.blocks { blocks[name, default: []].append((block, template)) }
        }
    }

    /// Renders `template` from its top: its statements, then, if it extends
    /// another, that one (and so on up), with the most derived blocks filled in.
    func renderRoot(_ template: Template, in scope: Scope) throws {
        let saved = root
        defer { root = saved }
        var state = RootState(template: template, scope: scope, depth: depth)
        state.addBlocks(of: template)
        root = state
        defineSelf()
        try render(template.nodes, in: scope)
        var chain = [template.name]
        while let parent = root?.parent {
            let at = root!.parentAt
            let child = root!.template
            root!.parent = nil
            guard chain.count <= Renderer.maximumDepth else {
                throw error(
                    "too many levels of 'extends' (more than \(Renderer.maximumDepth))", at: at)
            }
            if chain.contains(parent.name) {
                throw TemplateError(
                    position: child.source.position(of: at),
                    message:
                        "templates extend each other in a cycle: \((chain + [parent.name]).joined(separator: " → "))"
                )
            }
            chain.append(parent.name)
            root!.addBlocks(of: parent)
            root = RootState(
                template: parent, scope: scope, depth: depth, parent: nil, parentAt: 0,
                blocks: root!.blocks)
            defineSelf()
            try inTemplate(parent) { try render(parent.nodes, in: scope) }
        }
    }

    /// `{% extends NAME %}` at the top level of a template.
    private func extend(_ nameExpr: Expr, in scope: Scope, at offset: Int) throws {
        guard let current = root, current.isTopLevel(template, depth: depth) else {
            throw error("'extends' must be at the top level of a template, outside macros and blocks", at: offset)
        }
        guard current.parent == nil else {
            throw error("a template can extend only one other template", at: offset)
        }
        let name = try evaluate(nameExpr, in: scope)
        guard case .string(let parentName) = name else {
            if case .undefined(let u) = name { throw u.error }
            throw error("template name must be a string, not \(name.typeName)", at: offset)
        }
        guard let parent = try loadTemplate(parentName, at: offset) else {
            throw error("template '\(parentName)' not found", at: offset)
        }
        root!.parent = parent
        root!.parentAt = offset
    }

    /// Renders definition `level` of block `name` (0: the most derived), in
    /// the template that wrote it, seeing the variables of `scope`; `super()`
    /// renders the next level.
    private func renderBlock(named name: String, level: Int, around scope: Scope, at offset: Int)
        throws
    {
        guard let root, let definitions = root.blocks[name], level < definitions.count else {
            throw error("there is no parent block called '\(name)'", at: offset)
        }
        let (block, owner) = definitions[level]
        if block.isRequired {
            throw error(
                "block '\(name)' is required: a template extending '\(owner.name)' must define it",
                at: offset)
        }
        let blockScope = Scope(parent: scope, capacity: 2)
        blockScope.vars["super"] = .function(
            Function(name: "super") { [unowned self] _ in
                .string(
                    try self.capture {
                        try self.renderBlock(
                            named: name, level: level + 1, around: scope, at: block.offset)
                    })
            })
        guard depth < Renderer.maximumDepth else {
            throw error("too many nested blocks (more than \(Renderer.maximumDepth))", at: offset)
        }
        depth += 1
        defer { depth -= 1 }
        try inTemplate(owner) { try render(block.body, in: blockScope) }
    }

    /// Sets `self` in the root scope: each block by name, as a function rendering it.
    private func defineSelf() {
        guard let root, !root.blocks.isEmpty else { return }
        let scope = root.scope
        var references = RDict()
        for name in root.blocks.keys.sorted() {
            references[.string(name)] = .function(
                Function(name: "self.\(name)") { [unowned self] _ in
                    .string(
                        try self.capture {
                            try self.renderBlock(named: name, level: 0, around: scope, at: 0)
                        })
                })
        }
        scope.vars["self"] = .dict(references)
    }

    /// Runs `body` with `inner` as the current template, for positions, in the same frame.
    private func inTemplate(_ inner: Template, _ body: () throws -> Void) throws {
        let saved = (template, sourceIndex)
        template = inner
        sourceIndex = index(of: inner.source)
        defer { (template, sourceIndex) = saved }
        try body()
    }

    // MARK: - Include and import

    /// The template `name` for an include or import written at `offset`.
    ///
    /// - Throws: its syntax error, naming the include as the frame it came through.
    func loadTemplate(_ name: String, at offset: Int) throws -> Template? {
        do {
            return try cache.template(named: name, loader: loader)
        } catch var error as TemplateError {
            error.frames.append(
                Origin.Frame(
                    what: "include", definedAt: SourcePosition(file: name, line: 1, column: 1),
                    calledFrom: template.source.position(of: offset)))
            throw error
        } catch {
            throw self.error("cannot read template '\(name)': \(error)", at: offset)
        }
    }

    private func templateNames(_ value: RV, at offset: Int) throws -> [String] {
        switch value {
        case .string(let name): return [name]
        case .list(let items), .tuple(let items): return try items.map { try $0.str() }
        case .undefined(let u): throw u.error
        default: throw error("template name must be a string, not \(value.typeName)", at: offset)
        }
    }

    private func renderInclude(
        _ nameExpr: Expr, ignoreMissing: Bool, withContext: Bool, in scope: Scope, at offset: Int
    ) throws {
        let names = try templateNames(try evaluate(nameExpr, in: scope), at: offset)
        for name in names {
            guard let included = try loadTemplate(name, at: offset) else { continue }
            let includeScope = Scope(parent: withContext ? scope : globals)
            // Jinja does not pass the `loop` of an enclosing for to an included template.
            if withContext, scope.lookup("loop") != nil {
                includeScope.vars["loop"] = .undefined(
                    Undefined(
                        reason: .variable("loop", includeScope), source: included.source, offset: 0)
                )
            }
            try withFrame(nil, template: included, definedAt: 0, calledAt: offset) {
                try renderRoot(included, in: includeScope)
            }
            return
        }
        if ignoreMissing { return }
        throw error("template '\(names.joined(separator: "', '"))' not found", at: offset)
    }

    /// TODO(#2): `with context` binds the importing scope itself, so a macro
    /// sees variables as they are when it runs; Jinja takes them at the import.
    private func importModule(
        _ nameExpr: Expr, withContext: Bool, in scope: Scope, at offset: Int
    ) throws -> (name: String, exports: RDict) {
        let name = try evaluate(nameExpr, in: scope)
        guard case .string(let templateName) = name else {
            if case .undefined(let u) = name { throw u.error }
            throw error("template name must be a string, not \(name.typeName)", at: offset)
        }
        if !withContext, let cached = modules[templateName] { return (templateName, cached) }
        guard let imported = try loadTemplate(templateName, at: offset) else {
            throw error("template '\(templateName)' not found", at: offset)
        }
        let moduleScope = Scope(parent: withContext ? scope : globals)
        _ = try capture {
            try withFrame(nil, importing: true, template: imported, definedAt: 0, calledAt: offset)
            {
                try renderRoot(imported, in: moduleScope)
            }
        }
        var exports = RDict()
        for key in moduleScope.vars.keys.sorted() where key != "self" {
            exports[.string(key)] = moduleScope.vars[key]
        }
        if !withContext { modules[templateName] = exports }
        return (templateName, exports)
    }
}
