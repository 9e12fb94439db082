import Testing

// MARK: - One SeaweedFS per suite

extension SeaweedFS {
    @TaskLocal static var current: SeaweedFS?

    static func shared() throws -> SeaweedFS {
        guard let server = current else { throw HarnessError("no SeaweedFS: add the .seaweedFS trait to the suite") }
        return server
    }
}

/// Suite trait: one `weed mini` for the whole suite, stopped after its last test (also on failure).
struct SeaweedFSTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        if SeaweedFS.current != nil {
            try await function()
            return
        }
        let server = try await SeaweedFS.start()
        do {
            try await SeaweedFS.$current.withValue(server) { try await function() }
            await server.stop()
        } catch {
            await server.stop()
            throw error
        }
    }
}

extension Trait where Self == SeaweedFSTrait {
    static var seaweedFS: Self { SeaweedFSTrait() }
}
