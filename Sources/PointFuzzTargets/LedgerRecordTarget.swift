import PointCrypto
import PointJSON
import PointLedger

/// Fuzzes the decoding of one ledger record line (`LedgerRecordFormat.parseView` / `parse`, and
/// through them `LedgerTime.parse` and `CanonicalJSONValidator`).
///
/// Input: the line (cut at the first newline, as the scanner splits lines).
///
/// Invariants: a line the zero-copy check (`parseView`, what the scanner and `ledger verify` run)
/// accepts also fully decodes (`parse`, what replay runs) with the same seq, time, type and prev;
/// the decoded record passes `LedgerRecordFormat.validate` and re-encodes byte-identically with
/// `encodeLine` (one line per record: canonical); its time formats back to the bytes in the line.
/// A refused line reports an offset within the line. Accepting is deterministic.
enum LedgerRecordTarget {
    static func run(_ data: [UInt8]) -> FuzzViolation? {
        var checker = Checker(FuzzTarget.ledgerRecord.rawValue)
        let line = Array(data.prefix { $0 != 0x0A })
        line.withUnsafeBytes { raw in
            let view = LedgerRecordFormat.parseView(line: raw)
            let full = LedgerRecordFormat.parse(line: raw)
            switch (view, full) {
            case (.failure(let problem), .failure(let again)):
                checker.check(problem == again, "parseView and parse refuse for different reasons: \(problem.reason) / \(again.reason)")
                checker.check((0...line.count).contains(problem.offset), "problem offset \(problem.offset) outside a \(line.count)-byte line")
            case (.success, .failure(let problem)):
                checker.fail("parseView accepts a line that parse refuses: \(problem.reason) at \(problem.offset)")
            case (.failure(let problem), .success):
                checker.fail("parse accepts a line that parseView refuses: \(problem.reason)")
            case (.success(let view), .success(let record)):
                checker.check(view.seq == record.seq && view.time == record.time && view.type == record.type && view.prev == record.prev,
                              "parseView and parse disagree on the envelope")
                checker.check(record.line == line, "the record's line differs from the input")
                checker.check(record.seq >= 1, "accepted seq \(record.seq)")
                let entry = LedgerEntry(type: record.type, data: record.data, time: record.time)
                do throws(LedgerError) {
                    try LedgerRecordFormat.validate(entry)
                } catch {
                    checker.fail("a decoded record is not a valid entry: \(error)")
                }
                var encoded: [UInt8] = []
                LedgerRecordFormat.encodeLine(seq: record.seq, entry: entry, prev: record.prev, into: &encoded)
                checker.check(encoded == line, "the decoded record re-encodes to different bytes (\(encoded.count) vs \(line.count))")
                checker.check(LedgerTime.parse(LedgerTime.format(record.time)) == record.time, "time does not round-trip")
                let again = LedgerRecordFormat.parse(line: raw)
                checker.check(again == full, "parsing the same line twice differs")
            }
        }
        return checker.violation
    }
}
