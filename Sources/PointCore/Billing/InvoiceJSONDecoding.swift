import PointJSON

extension Invoice {
    /// Reads an invoice back from its JSON form (``json``), as stored in an `invoice.issued`
    /// ledger record. Derived members (`status`, labels, `currency`, `taxRatePercent`) are not
    /// trusted: the status follows from `number` and `billable`. Amounts are read as they are,
    /// unchecked, so a tampered record decodes and `pointconnect settle` can show the difference.
    public static func decode(json: JSONValue) throws(DomainError) -> Invoice {
        try decode(try EventFieldReader(json, path: "data"))
    }

    static func decode(_ reader: EventFieldReader) throws(DomainError) -> Invoice {
        let unitPriceTenths = try reader.int64("unitPriceTenths")
        let unitPrice: UnitPrice
        do throws(BillingError) { unitPrice = try UnitPrice(tenths: unitPriceTenths) } catch {
            throw EventFieldReader.failure(reader.path + ".unitPriceTenths", "is outside \(UnitPrice.supportedTenths)")
        }
        var lines: [InvoiceLine] = []
        for (position, value) in try reader.array("lines").enumerated() {
            lines.append(try InvoiceLine.decode(try EventFieldReader(value, path: "\(reader.path).lines[\(position)]")))
        }
        var checkpoint: InvoiceCheckpoint?
        if reader.has("checkpoint") {
            let nested = try reader.nested("checkpoint")
            let size = try nested.int64("treeSize")
            guard size >= 0 else { throw EventFieldReader.failure(nested.path + ".treeSize", "is negative") }
            checkpoint = InvoiceCheckpoint(treeSize: UInt64(size), rootHash: try nested.string("rootHash"))
        }
        var invoice = Invoice(number: try reader.optionalInvoiceNumber("number"), period: try reader.billingMonth("period"),
                              merchantID: try reader.string("merchantId"), merchantTaxID: try reader.string("merchantTaxId"),
                              merchantName: try reader.string("merchantName"),
                              mode: try reader.bool("billable") ? .billable : .sandboxStatement, unitPrice: unitPrice, lines: lines,
                              subtotal: try reader.int64("subtotal"), tax: try reader.int64("tax"), total: try reader.int64("total"),
                              creditBalanceBefore: try reader.int64("creditBalanceBefore"),
                              creditBalanceAfter: try reader.int64("creditBalanceAfter"))
        invoice.checkpoint = checkpoint
        return invoice
    }
}

extension InvoiceLine {
    static func decode(_ reader: EventFieldReader) throws(DomainError) -> InvoiceLine {
        let type = try reader.enumeration("type", as: InvoiceLineType.self)
        var events: EventSpan?
        if reader.has("events") {
            let span = try reader.nested("events")
            let firstSeq = try span.int64("firstSeq")
            let lastSeq = try span.int64("lastSeq")
            guard firstSeq >= 0, lastSeq >= firstSeq else { throw EventFieldReader.failure(span.path, "has seqs out of order") }
            events = EventSpan(count: try span.int64("count"), firstSeq: UInt64(firstSeq), firstID: try span.string("firstId"),
                               lastSeq: UInt64(lastSeq), lastID: try span.string("lastId"))
        }
        var cites: CitedDocument?
        if reader.has("cites") {
            let cited = try reader.nested("cites")
            cites = CitedDocument(period: try cited.billingMonth("period"), invoiceNumber: try cited.optionalInvoiceNumber("invoiceNumber"))
        }
        return InvoiceLine(type: type, quantity: try reader.int64("quantity"), unitPriceTenths: try reader.int64("unitPriceTenths"),
                           netAmount: try reader.int64("netAmount"), events: events, cites: cites,
                           contractYear: try reader.optionalInt("contractYear"))
    }
}
