import PointJSON

extension Invoice {
    /// The invoice as a JSON value; serialise it with `CanonicalJSON` for a byte-stable form.
    ///
    /// Money is whole NT$ (`subtotal`, `tax`, `total`, each line's `netAmount`); prices are
    /// tenths of NT$ (`unitPriceTenths`). Optional members are omitted rather than null,
    /// except `number`, which is null for drafts and statements.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "number": number.map { .string($0.description) } ?? .null,
            "status": .string(status.rawValue),
            "billable": .bool(mode == .billable),
            "period": .string(period.description),
            "merchantId": .string(merchantID),
            "merchantTaxId": .string(merchantTaxID),
            "merchantName": .string(merchantName),
            "currency": "TWD",
            "unitPriceTenths": .int(unitPrice.tenths),
            "taxRatePercent": .int(BillingMoney.taxRatePercent),
            "subtotal": .int(subtotal),
            "tax": .int(tax),
            "total": .int(total),
            "creditBalanceBefore": .int(creditBalanceBefore),
            "creditBalanceAfter": .int(creditBalanceAfter),
        ]
        members["lines"] = .array(lines.map(\.json))
        if let checkpoint {
            members["checkpoint"] = .object(["treeSize": .int(Int64(clamping: checkpoint.treeSize)), "rootHash": .string(checkpoint.rootHash)])
        }
        return .object(members)
    }
}

extension InvoiceLine {
    /// The line as a JSON value.
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "type": .string(type.rawValue),
            "label": .string(type.label),
            "quantity": .int(quantity),
            "unitPriceTenths": .int(unitPriceTenths),
            "netAmount": .int(netAmount),
        ]
        if let events { members["events"] = events.json }
        if let cites {
            members["cites"] = .object([
                "period": .string(cites.period.description),
                "invoiceNumber": cites.invoiceNumber.map { .string($0.description) } ?? .null,
            ])
        }
        if let contractYear { members["contractYear"] = .int(Int64(contractYear)) }
        return .object(members)
    }
}

extension EventSpan {
    /// The span as a JSON value: count, first and last seq with their ids.
    public var json: JSONValue {
        .object([
            "count": .int(count),
            "firstSeq": .int(Int64(clamping: firstSeq)),
            "firstId": .string(firstID),
            "lastSeq": .int(Int64(clamping: lastSeq)),
            "lastId": .string(lastID),
        ])
    }
}
