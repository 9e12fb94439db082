/// Runs an operation with a deadline that the caller gets even when the operation ignores
/// cancellation.
///
/// A structured race (task group) would wait for the losing child; waiting on a shared upload
/// does not end on cancellation, so the answer would come no earlier than the upload. Here the
/// first of "done" and "deadline passed" resumes the caller; the operation is then cancelled and
/// left to wind down (a shared upload finishes for whoever asks next).
enum Deadline {
    static func run<T: Sendable>(
        within limit: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let gate = Gate<T>()
        return try await withCheckedThrowingContinuation { continuation in
            let work = Task {
                let result: Result<T, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                await gate.resume(continuation, with: result)
            }
            Task {
                try? await Task.sleep(for: limit)
                if await gate.resume(continuation, with: .failure(SidecarFailure.timeout(after: limit))) {
                    work.cancel()
                }
            }
        }
    }

    /// Resumes a continuation exactly once.
    private actor Gate<T: Sendable> {
        private var resumed = false

        @discardableResult
        func resume(_ continuation: CheckedContinuation<T, any Error>, with result: Result<T, any Error>) -> Bool {
            guard !resumed else { return false }
            resumed = true
            continuation.resume(with: result)
            return true
        }
    }
}
