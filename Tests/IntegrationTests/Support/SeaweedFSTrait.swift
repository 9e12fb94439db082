import Testing

// MARK: - One SeaweedFS per suite

extension SeaweedFS {
    static let suiteLocal = TaskLocal<SeaweedFS?>(wrappedValue: nil)
    static let missingTraitMessage = "no SeaweedFS: add the .seaweedFS trait to the suite"
}

/// Suite trait: one `weed mini` for the whole suite, stopped after its last test (also on failure).
struct SeaweedFSTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        try await withSuiteServer(start: { try await SeaweedFS.start() }, function)
    }
}

extension Trait where Self == SeaweedFSTrait {
    static var seaweedFS: Self { SeaweedFSTrait() }
}
