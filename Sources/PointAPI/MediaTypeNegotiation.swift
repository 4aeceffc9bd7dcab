import Foundation

/// Chooses a response media type from an `Accept` header (RFC 9110 §12.5.1): media ranges with
/// optional `q` weights, `type/*` and `*/*` wildcards, the most specific range deciding each
/// offer's weight, `q=0` meaning "not this"; a range with a malformed `q` is left out. Bounded:
/// at most ``maxRanges`` ranges are read.
enum MediaTypeNegotiation {
    /// Ranges read from one header; the rest are ignored.
    static let maxRanges = 32

    /// The offer (`type/subtype`, lowercase) with the highest weight — the earliest offer among
    /// equals — or nil when the header makes none acceptable.
    static func choose(accept header: String, offers: [String]) -> String? {
        let ranges = parse(header)
        var best: (offer: String, weight: Int)?
        for offer in offers {
            let weight = self.weight(of: offer, in: ranges)
            if weight > 0, weight > (best?.weight ?? 0) { best = (offer, weight) }
        }
        return best?.offer
    }

    /// A media range and its weight in thousandths (q=0.5 → 500).
    struct Range: Equatable {
        var type: String
        var subtype: String
        var weight: Int
    }

    static func parse(_ header: String) -> [Range] {
        var ranges: [Range] = []
        elements: for element in header.split(separator: ",").prefix(maxRanges) {
            let parts = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let mediaRange = parts.first, !mediaRange.isEmpty else { continue }
            let names = mediaRange.split(separator: "/", omittingEmptySubsequences: false)
            guard names.count == 2, !names[0].isEmpty, !names[1].isEmpty, !(names[0] == "*" && names[1] != "*") else { continue }
            var weight = 1_000
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2, pair[0] == "q" else { continue }
                guard let parsed = qvalue(pair[1]) else { continue elements }
                weight = parsed
            }
            ranges.append(Range(type: String(names[0]), subtype: String(names[1]), weight: weight))
        }
        return ranges
    }

    /// The weight of `offer`: from the most specific matching range (exact, then `type/*`, then
    /// `*/*`); 0 when none matches.
    static func weight(of offer: String, in ranges: [Range]) -> Int {
        let names = offer.split(separator: "/")
        guard names.count == 2 else { return 0 }
        let type = String(names[0]), subtype = String(names[1])
        if let exact = ranges.first(where: { $0.type == type && $0.subtype == subtype }) { return exact.weight }
        if let partial = ranges.first(where: { $0.type == type && $0.subtype == "*" }) { return partial.weight }
        if let any = ranges.first(where: { $0.type == "*" && $0.subtype == "*" }) { return any.weight }
        return 0
    }

    /// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` in thousandths; nil when malformed.
    static func qvalue(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var value = Int(first - UInt8(ascii: "0")) * 1_000
        guard bytes.count > 1 else { return value }
        guard bytes[1] == UInt8(ascii: "."), bytes.count <= 5 else { return nil }
        var scale = 100
        for digit in bytes.dropFirst(2) {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return value <= 1_000 ? value : nil
    }
}
