import ArgumentParser
import CloudWAL

extension NameSpecification {
    /// An option's names from the library's one source of spellings: the short one first, then
    /// the long one and its aliases. Deprecated spellings are options of their own.
    static func spelled(_ option: OptionSpelling) -> NameSpecification {
        var names: [Element] = option.short.map { [Element.customShort($0)] } ?? []
        names.append(Element.customLong(option.long))
        names += option.longAliases.map { Element.customLong($0) }
        return NameSpecification(names)
    }
}
