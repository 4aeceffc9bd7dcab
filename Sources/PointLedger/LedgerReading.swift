/// Sequential reading of durable records.
extension Ledger {
    /// Up to `limit` records from seq `from`, never past `through` (pass ``durableSeq`` so only
    /// acknowledged records are served). Streams the segment files; records before `from` are
    /// skipped without decoding.
    public func records(from: UInt64, limit: Int, through: UInt64) throws(LedgerError) -> [LedgerRecord] {
        guard from >= 1, limit > 0, from <= through else { return [] }
        var collected: [LedgerRecord] = []
        collected.reserveCapacity(min(limit, 1_024))
        let scanner = LedgerScanner(directory: directory)
        do {
            _ = try scanner.scan(repairTornTail: false) { (view, location) throws(LedgerError) in
                guard view.seq >= from else { return }
                guard view.seq <= through, collected.count < limit else { throw LedgerError.closed }
                switch view.decode() {
                case .success(let record): collected.append(record)
                case .failure(let problem):
                    throw LedgerError.corrupt(file: location.file, offset: Int(location.offset) + problem.offset, seq: view.seq, reason: problem.reason)
                }
            }
        } catch {
            // `.closed` is the signal to stop early; anything else is real.
            if case .closed = error { return collected }
            if case .corrupt(_, _, let seq, _) = error, seq > through { return collected }
            throw error
        }
        return collected
    }
}
