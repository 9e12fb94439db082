/// Lets at most `width` fault scenarios run at once. Swift Testing starts every case of a
/// parameterized test together; fifty cloud-wal processes (and their helper pythons) at a time
/// would starve a 2-core machine and make the time bounds meaningless. Stalled scenarios mostly
/// wait, so a width of 4 per backend keeps the suite short without crowding a 2-core machine that runs the other suites too.
actor FaultGate {
    private let width: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(width: Int) { self.width = width }

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await enter()
        do {
            let value = try await body()
            leave()
            return value
        } catch {
            leave()
            throw error
        }
    }

    private func enter() async {
        if running < width {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the slot straight to the next waiter (running stays the same), or frees it.
    private func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
