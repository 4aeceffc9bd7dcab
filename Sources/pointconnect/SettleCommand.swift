import PointAPI
import PointCore

/// `pointconnect settle --data-dir DIR --month YYYY-MM [--merchant ID]`: recomputes a month's
/// invoices from the ledger files alone and compares them with the ledger's `invoice.issued`
/// records. Exit 0 when they are reproduced exactly (or, for an open month, after printing the
/// drafts when every record of the month could be billed); 1 on any difference, on a record of
/// an open month that can't be billed, or when the ledger can't be read.
enum SettleCommand {
    static func run(_ options: CommandLineOptions) throws -> Int32 {
        let dataDirectory = try options.required("data-dir")
        let monthText = try options.required("month")
        let month: BillingMonth
        do throws(BillingError) { month = try BillingMonth(parsing: monthText) } catch { throw UsageError("--month: \(error)") }
        let merchantID = options.value("merchant")
        let folded: (replay: BillingReplay, settlement: SettlementFold, records: UInt64)
        do throws(SettlementLedgerReader.Failure) {
            folded = try SettlementLedgerReader.fold(dataDirectory: dataDirectory)
        } catch {
            FileHandleOutput.standardError("settle FAILED: \(error)\n")
            return 1
        }
        if let merchantID, !folded.replay.isRegistered(merchantID) {
            FileHandleOutput.standardError("settle: no merchant \(merchantID) in the ledger\n")
            return 1
        }
        let report = SettlementAudit.report(folded.settlement, month: month, merchantID: merchantID)
        print("ledger: \(dataDirectory) (\(folded.records) records)")
        for line in report.lines { print(line) }
        return report.reproduced ? 0 : 1
    }
}
