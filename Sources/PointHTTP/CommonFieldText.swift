/// Header names and values that requests commonly carry, shared instead of made for each request:
/// a string of 16 bytes or more lives on the heap, so every such name or value would otherwise
/// cost an allocation and its release per request. Matched exactly (case included); anything else
/// is decoded as received.
enum CommonFieldText {
    private static let names = table(["X-LINE-ChannelId", "X-LINE-Authorization", "X-LINE-Authorization-Nonce", "Transfer-Encoding"])
    private static let values = table(["application/json", "application/json; charset=utf-8"])

    /// The text of a header name's bytes.
    static func name(_ bytes: ArraySlice<UInt8>) -> String { text(bytes, names) }

    /// The text of a header value's bytes (invalid UTF-8 becomes U+FFFD).
    static func value(_ bytes: ArraySlice<UInt8>) -> String { text(bytes, values) }

    private static func table(_ texts: [String]) -> [(bytes: [UInt8], text: String)] {
        texts.map { (Array($0.utf8), $0) }
    }

    private static func text(_ bytes: ArraySlice<UInt8>, _ table: [(bytes: [UInt8], text: String)]) -> String {
        if bytes.count >= 16 {
            for entry in table where entry.bytes.count == bytes.count && entry.bytes.elementsEqual(bytes) { return entry.text }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
