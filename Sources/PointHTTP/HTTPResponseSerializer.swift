/// Writes a response head and body into a reusable byte buffer.
enum HTTPResponseSerializer {
    /// Bytes of an interim `100 Continue` response.
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Appends `response` to `output`. The server owns framing: handler-supplied Content-Length,
    /// Transfer-Encoding and Connection fields are replaced, and fields that could split the
    /// response (invalid names, CR/LF/NUL in values) are dropped. Returns the body bytes written.
    @discardableResult
    static func append(_ response: HTTPResponse, forHead isHeadRequest: Bool, keepAlive: Bool,
                       to output: inout [UInt8]) -> Int {
        let status = (100...999).contains(response.status.code) ? response.status : .internalServerError
        output.reserveCapacity(output.count + 128 + response.body.count)
        output.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status.code, to: &output)
        output.append(HTTPSyntax.space)
        appendFieldValueBytes(of: status.reasonPhrase, to: &output)
        appendCRLF(to: &output)

        for field in response.headers where isServerOwned(field.name) == false {
            appendField(field, to: &output)
        }
        let sendsBody = !status.forbidsBody
        if sendsBody {
            output.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(response.body.count, to: &output)
            appendCRLF(to: &output)
        }
        output.append(contentsOf: (keepAlive ? "Connection: keep-alive" : "Connection: close").utf8)
        appendCRLF(to: &output)
        appendCRLF(to: &output)
        guard sendsBody, !isHeadRequest else { return 0 }
        output.append(contentsOf: response.body)
        return response.body.count
    }

    /// `name: value` and CRLF, checked and copied over the strings' bytes in place; a field
    /// with an invalid name or a byte that could split the response is dropped.
    private static func appendField(_ field: HTTPHeaderField, to output: inout [UInt8]) {
        var name = field.name
        var value = field.value
        // Native strings are read in place; only a bridged one is made contiguous first.
        name.withUTF8 { nameBytes in
            value.withUTF8 { valueBytes in
                guard !nameBytes.isEmpty, nameBytes.allSatisfy(HTTPSyntax.isTokenByte),
                      valueBytes.allSatisfy(HTTPSyntax.isFieldValueByte) else { return }
                output.append(contentsOf: nameBytes)
                output.append(HTTPSyntax.colon)
                output.append(HTTPSyntax.space)
                output.append(contentsOf: valueBytes)
                appendCRLF(to: &output)
            }
        }
    }

    /// The text's bytes without any that may not appear in a field value (a phrase is normally
    /// all valid: then one copy).
    private static func appendFieldValueBytes(of text: String, to output: inout [UInt8]) {
        // Read in place; only a bridged string is copied.
        if text.utf8.withContiguousStorageIfAvailable({ appendFieldValueBytes($0, to: &output) }) == nil {
            var copy = text
            copy.withUTF8 { appendFieldValueBytes($0, to: &output) }
        }
    }

    private static func appendFieldValueBytes(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        if bytes.allSatisfy(HTTPSyntax.isFieldValueByte) {
            output.append(contentsOf: bytes)
        } else {
            for byte in bytes where HTTPSyntax.isFieldValueByte(byte) { output.append(byte) }
        }
    }

    private static func isServerOwned(_ name: String) -> Bool {
        HTTPHeaders.namesMatch(name, "Content-Length") || HTTPHeaders.namesMatch(name, "Transfer-Encoding")
            || HTTPHeaders.namesMatch(name, "Connection")
    }

    private static func appendCRLF(to output: inout [UInt8]) {
        output.append(HTTPSyntax.cr)
        output.append(HTTPSyntax.lf)
    }

    /// A non-negative number's digits, most significant first (a negative one is written as 0).
    static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        let value = max(0, value)
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        while divisor > 0 {
            output.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
