/// JSON exactly as Python's `json.dumps` writes it with its defaults: barman-cloud's `--format
/// json` output is made that way, and scripts written against it (CloudNativePG parses
/// `backup-list --format json`) see the same bytes from us. The values are `JSONText`'s; only
/// the layout (`JSONText.Style.python`) differs.
public typealias PythonJSON = JSONText

extension JSONText {
    /// The text as barman-cloud writes it (`json.dumps`).
    public var text: String { text(.python) }

    /// What `json.dumps` makes of a Python value read with `ast.literal_eval`: tuples become
    /// arrays, dict keys strings (`None` → `"null"`, `True` → `"true"`, numbers as written).
    public init(_ literal: PythonLiteral) {
        switch literal {
        case .none: self = .null
        case let .bool(value): self = .bool(value)
        case let .int(value): self = .int(value)
        case let .float(value): self = .float(value)
        case let .string(text): self = .string(text)
        case let .list(items), let .tuple(items): self = .array(items.map(JSONText.init))
        case let .dict(pairs):
            self = .object(
                pairs.map { pair in
                    let key: String
                    switch pair.key {
                    case let .string(text): key = text
                    case .none: key = "null"
                    case let .bool(value): key = value ? "true" : "false"
                    case let .int(value): key = String(value)
                    case let .float(value): key = JSONText.number(value, style: .python)
                    default: key = pair.key.repr
                    }
                    return Member(key, JSONText(pair.value))
                })
        }
    }
}
