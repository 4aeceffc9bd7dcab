/// Incremental, strict HTTP/1.1 request parser. Bytes may arrive in any split; every buffer it
/// keeps is bounded by `HTTPServerLimits` (head bytes by the line/header limits, the body by
/// `maxBodyBytes`, unconsumed input by what the caller appends between calls to `next()`).
struct HTTPRequestParser {
    private enum State: Equatable {
        case requestLine
        case headerLines
        case fixedBody(remaining: Int)
        case chunkSizeLine
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailerLines
        case failed(HTTPRequestError)
    }

    private struct PartialHead {
        var method: HTTPMethod
        var target: String
        var version: HTTPVersion
        /// Room for the fields of a usual request, made once rather than grown field by field.
        var headers = HTTPHeaders(reservingCapacity: PartialHead.expectedFieldCount)
        var headerBytes = 0

        static let expectedFieldCount = 12
    }

    let limits: HTTPServerLimits
    private var state: State = .requestLine
    /// Received bytes; `buffer[readIndex...]` is not yet consumed.
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Where the search for the current line's LF resumes, so split input is never rescanned.
    private var scanIndex = 0
    private var partial: PartialHead?
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var trailerBytes = 0
    private var continueOffered = false

    init(limits: HTTPServerLimits) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by a complete request.
    var unconsumedByteCount: Int { buffer.count - readIndex }

    /// Which part of a request is awaited.
    var phase: HTTPParsePhase {
        switch state {
        case .requestLine: return unconsumedByteCount == 0 ? .idle : .head
        case .headerLines, .failed: return .head
        case .fixedBody, .chunkSizeLine, .chunkData, .chunkDataEnd, .trailerLines: return .body
        }
    }

    /// Appends received bytes. Storage is reused: consumed bytes are dropped before appending.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes (convenience for tests).
    mutating func append<S: Sequence<UInt8>>(contentsOf bytes: S) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
            scanIndex = 0
        } else if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }

    /// Parses as far as the buffered bytes allow and reports the first event.
    mutating func next() -> HTTPParseEvent {
        while true {
            let step: Step
            switch state {
            case .failed(let error): return .failure(error)
            case .requestLine: step = parseRequestLine()
            case .headerLines: step = parseHeaderLine()
            case .fixedBody(let remaining): step = readFixedBody(remaining: remaining)
            case .chunkSizeLine: step = parseChunkSizeLine()
            case .chunkData(let remaining): step = readChunkData(remaining: remaining)
            case .chunkDataEnd: step = parseChunkDataEnd()
            case .trailerLines: step = parseTrailerLine()
            }
            switch step {
            case .progressed: continue
            case .event(let event): return event
            case .fail(let error):
                state = .failed(error)
                return .failure(error)
            }
        }
    }

    private enum Step {
        case progressed
        case event(HTTPParseEvent)
        case fail(HTTPRequestError)
    }

    private enum LineResult {
        case line(Range<Int>)
        case incomplete(pendingBytes: Int)
        case bareLineFeed
    }

    /// Finds the next CRLF-terminated line and consumes it (terminator excluded from the range).
    private mutating func takeLine() -> LineResult {
        guard let lineFeed = buffer[scanIndex...].firstIndex(of: HTTPSyntax.lf) else {
            scanIndex = buffer.count
            return .incomplete(pendingBytes: buffer.count - readIndex)
        }
        guard lineFeed > readIndex, buffer[lineFeed - 1] == HTTPSyntax.cr else { return .bareLineFeed }
        let line = readIndex..<(lineFeed - 1)
        readIndex = lineFeed + 1
        scanIndex = readIndex
        return .line(line)
    }

    // MARK: Request line

    private mutating func parseRequestLine() -> Step {
        let line: Range<Int>
        switch takeLine() {
        case .bareLineFeed: return .fail(.badRequest("request line must end with CRLF"))
        case .incomplete(let pending):
            // A trailing CR may already be buffered, hence the + 1.
            return pending > limits.maxRequestLineBytes + 1
                ? .fail(.uriTooLong(limit: limits.maxRequestLineBytes)) : .event(.needMoreData)
        case .line(let range): line = range
        }
        if line.isEmpty { return .progressed }  // RFC 9112 §2.2: ignore empty lines before a request.
        if line.count > limits.maxRequestLineBytes { return .fail(.uriTooLong(limit: limits.maxRequestLineBytes)) }

        let bytes = buffer[line]
        guard let firstSpace = bytes.firstIndex(of: HTTPSyntax.space),
              let secondSpace = bytes[(firstSpace + 1)...].firstIndex(of: HTTPSyntax.space) else {
            return .fail(.badRequest("request line must be: method SP target SP version"))
        }
        let methodBytes = bytes[..<firstSpace]
        let targetBytes = bytes[(firstSpace + 1)..<secondSpace]
        let versionBytes = bytes[(secondSpace + 1)...]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(HTTPSyntax.isTokenByte) else {
            return .fail(.badRequest("invalid method token"))
        }
        guard !targetBytes.isEmpty, targetBytes.allSatisfy(HTTPSyntax.isTargetByte) else {
            return .fail(.badRequest("request target is empty or contains a space or control character"))
        }
        let version: HTTPVersion
        switch Self.parseVersion(versionBytes) {
        case .success(let parsed): version = parsed
        case .failure(let error): return .fail(error)
        }
        guard let method = HTTPMethod(token: methodBytes) else {
            return .fail(.notImplemented("method \(String(decoding: methodBytes, as: UTF8.self)) is not supported"))
        }
        if let error = Self.validateTarget(targetBytes, method: method) { return .fail(error) }
        partial = PartialHead(method: method, target: String(decoding: targetBytes, as: UTF8.self), version: version)
        state = .headerLines
        return .progressed
    }

    private static func parseVersion(_ bytes: ArraySlice<UInt8>) -> Result<HTTPVersion, HTTPRequestError> {
        if bytes.elementsEqual("HTTP/1.1".utf8) { return .success(.http1_1) }
        if bytes.elementsEqual("HTTP/1.0".utf8) { return .success(.http1_0) }
        let digit = { (byte: UInt8) in byte >= 0x30 && byte <= 0x39 }
        let shaped = bytes.count == 8 && bytes.starts(with: "HTTP/".utf8)
            && digit(bytes[bytes.startIndex + 5]) && bytes[bytes.startIndex + 6] == UInt8(ascii: ".")
            && digit(bytes[bytes.startIndex + 7])
        return .failure(shaped ? .versionNotSupported : .badRequest("malformed HTTP version"))
    }

    private static func validateTarget(_ bytes: ArraySlice<UInt8>, method: HTTPMethod) -> HTTPRequestError? {
        if bytes.contains(UInt8(ascii: "#")) { return .badRequest("request target must not contain a fragment") }
        if bytes.first == UInt8(ascii: "/") { return nil }
        if bytes.elementsEqual("*".utf8) {
            return method == .options ? nil : .badRequest("asterisk-form target is only valid for OPTIONS")
        }
        let lowered = bytes.prefix(8).map(HTTPSyntax.lowercased)
        if lowered.starts(with: "http://".utf8) || lowered.starts(with: "https://".utf8) { return nil }
        return .badRequest("request target must be origin-form (/path), absolute-form or *")
    }

    // MARK: Header section

    private mutating func parseHeaderLine() -> Step {
        // Taken out while it changes, so adding a field does not copy the fields read so far.
        guard var current = partial.take() else { return .fail(.badRequest("internal parser state")) }
        let line: Range<Int>
        switch takeLine() {
        case .bareLineFeed: return .fail(.badRequest("header line must end with CRLF"))
        case .incomplete(let pending):
            if current.headerBytes + pending > limits.maxHeaderBytes {
                return .fail(.headerFieldsTooLarge("header section exceeds \(limits.maxHeaderBytes) bytes"))
            }
            partial = current
            return .event(.needMoreData)
        case .line(let range): line = range
        }
        current.headerBytes += line.count + 2
        if current.headerBytes > limits.maxHeaderBytes {
            return .fail(.headerFieldsTooLarge("header section exceeds \(limits.maxHeaderBytes) bytes"))
        }
        if line.isEmpty {
            partial = nil
            return finishHead(current)
        }
        if current.headers.count >= limits.maxHeaderCount {
            return .fail(.headerFieldsTooLarge("more than \(limits.maxHeaderCount) header fields"))
        }
        switch Self.parseField(buffer[line]) {
        case .failure(let error): return .fail(error)
        case .success(let field): current.headers.add(name: field.name, value: field.value)
        }
        partial = current
        return .progressed
    }

    /// Parses `name ":" OWS value OWS`, refusing obs-fold and whitespace before the colon.
    /// Static, like the other checks of bytes here: a method would copy the whole parser
    /// (buffers included) at every call made from a mutating one.
    private static func parseField(_ bytes: ArraySlice<UInt8>) -> Result<HTTPHeaderField, HTTPRequestError> {
        guard let first = bytes.first else { return .failure(.badRequest("empty header line")) }
        if first == HTTPSyntax.space || first == HTTPSyntax.tab {
            return .failure(.badRequest("obsolete line folding (obs-fold) is not allowed"))
        }
        guard let colon = bytes.firstIndex(of: HTTPSyntax.colon) else {
            return .failure(.badRequest("header line has no colon"))
        }
        let name = bytes[..<colon]
        if let last = name.last, last == HTTPSyntax.space || last == HTTPSyntax.tab {
            return .failure(.badRequest("whitespace between header name and colon is not allowed"))
        }
        guard !name.isEmpty, name.allSatisfy(HTTPSyntax.isTokenByte) else {
            return .failure(.badRequest("invalid header name"))
        }
        var valueStart = colon + 1
        var valueEnd = bytes.endIndex
        while valueStart < valueEnd, bytes[valueStart] == HTTPSyntax.space || bytes[valueStart] == HTTPSyntax.tab {
            valueStart += 1
        }
        while valueEnd > valueStart, bytes[valueEnd - 1] == HTTPSyntax.space || bytes[valueEnd - 1] == HTTPSyntax.tab {
            valueEnd -= 1
        }
        let value = bytes[valueStart..<valueEnd]
        guard value.allSatisfy(HTTPSyntax.isFieldValueByte) else {
            return .failure(.badRequest("header \(String(decoding: name, as: UTF8.self)) contains a control character"))
        }
        return .success(HTTPHeaderField(name: CommonFieldText.name(name), value: CommonFieldText.value(value)))
    }

    /// Applies the framing rules (RFC 9112 §6) and moves to the body, or completes the request.
    private mutating func finishHead(_ current: PartialHead) -> Step {
        let headers = current.headers
        let host = headers.occurrences(of: "Host")
        if host.count > 1 { return .fail(.badRequest("duplicate Host header")) }
        if current.version == .http1_1 && host.count == 0 { return .fail(.badRequest("missing Host header")) }
        if let value = host.first, !value.utf8.allSatisfy(HTTPSyntax.isHostByte) {
            return .fail(.badRequest("Host must be a host name or address with an optional port"))
        }

        // The arrays of values are made only when a field is repeated or a coding is given.
        let transferEncodings = headers.contains("Transfer-Encoding") ? headers.values(for: "Transfer-Encoding") : []
        let contentLength = headers.occurrences(of: "Content-Length")
        var chunked = false
        var declaredLength = 0
        if !transferEncodings.isEmpty {
            if contentLength.count > 0 {
                return .fail(.badRequest("Content-Length and Transfer-Encoding must not both be present"))
            }
            if current.version == .http1_0 {
                return .fail(.badRequest("Transfer-Encoding is not allowed in an HTTP/1.0 request"))
            }
            let codings = transferEncodings.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .map { $0.trimmingASCIIWhitespace() }
            if codings.contains(where: \.isEmpty) { return .fail(.badRequest("empty transfer coding")) }
            let chunkedCount = codings.filter { HTTPHeaders.namesMatch($0, "chunked") }.count
            // RFC 9112 §6.3: without chunked as the final coding the body's length can't be
            // known, which must be 400 (and close); a coding not understood before a final
            // chunked is 501 (§6.1).
            guard chunkedCount == 1, let last = codings.last, HTTPHeaders.namesMatch(last, "chunked") else {
                return .fail(.badRequest("chunked must be the final transfer coding, applied once (the body's length can't be known otherwise)"))
            }
            if codings.count > 1 { return .fail(.notImplemented("only the chunked transfer coding is supported")) }
            chunked = true
        } else if let lengthText = contentLength.first {
            if contentLength.count > 1 { return .fail(.badRequest("duplicate Content-Length header")) }
            let digits = lengthText.utf8
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                return .fail(.badRequest("Content-Length must be a non-negative decimal integer"))
            }
            guard digits.count <= 18, let length = Int(lengthText) else {
                return .fail(.contentTooLarge(limit: limits.maxBodyBytes))
            }
            if length > limits.maxBodyBytes { return .fail(.contentTooLarge(limit: limits.maxBodyBytes)) }
            declaredLength = length
        } else if current.method.requiresDeclaredBodyLength {
            return .fail(.lengthRequired)
        }

        var expectsContinue = false
        if let expectation = headers["Expect"] {
            guard headers.values(for: "Expect").count == 1,
                  HTTPSyntax.equalsLowercase(expectation.utf8, "100-continue") else {
                return .fail(.expectationFailed)
            }
            expectsContinue = current.version == .http1_1
        }

        let wantsClose = headers.containsToken("close", inFieldsNamed: "Connection")
        let keepAlive = current.version == .http1_1
            ? !wantsClose
            : !wantsClose && headers.containsToken("keep-alive", inFieldsNamed: "Connection")
        head = HTTPRequestHead(method: current.method, target: current.target, version: current.version,
                               headers: headers, keepAlive: keepAlive, expectsContinue: expectsContinue)
        body = []
        trailerBytes = 0
        continueOffered = false
        if chunked {
            state = .chunkSizeLine
        } else if declaredLength > 0 {
            body.reserveCapacity(declaredLength)
            state = .fixedBody(remaining: declaredLength)
        } else {
            return complete()
        }
        return offerContinueIfWanted() ?? .progressed
    }

    /// Reports `continueRequested` once, only when the client is waiting (no body byte buffered).
    private mutating func offerContinueIfWanted() -> Step? {
        guard let head, head.expectsContinue, !continueOffered, unconsumedByteCount == 0 else { return nil }
        continueOffered = true
        return .event(.continueRequested)
    }

    private mutating func complete() -> Step {
        guard let finished = head else { return .fail(.badRequest("internal parser state")) }
        let completedBody = body
        head = nil
        body = []
        state = .requestLine
        return .event(.request(finished, body: completedBody))
    }

    // MARK: Body

    private mutating func takeBodyBytes(upTo count: Int) -> Int {
        let taken = min(count, unconsumedByteCount)
        if taken > 0 {
            body.append(contentsOf: buffer[readIndex..<(readIndex + taken)])
            readIndex += taken
            scanIndex = readIndex
        }
        return taken
    }

    private mutating func readFixedBody(remaining: Int) -> Step {
        let left = remaining - takeBodyBytes(upTo: remaining)
        if left == 0 { return complete() }
        state = .fixedBody(remaining: left)
        return .event(.needMoreData)
    }

    private mutating func parseChunkSizeLine() -> Step {
        let line: Range<Int>
        switch takeLine() {
        case .bareLineFeed: return .fail(.badRequest("chunk size line must end with CRLF"))
        case .incomplete(let pending):
            return pending > limits.maxChunkLineBytes + 1
                ? .fail(.badRequest("chunk size line exceeds \(limits.maxChunkLineBytes) bytes"))
                : .event(.needMoreData)
        case .line(let range): line = range
        }
        if line.count > limits.maxChunkLineBytes {
            return .fail(.badRequest("chunk size line exceeds \(limits.maxChunkLineBytes) bytes"))
        }
        let bytes = buffer[line]
        var size = 0
        var index = bytes.startIndex
        while index < bytes.endIndex, let digit = HTTPSyntax.hexValue(bytes[index]) {
            size = size &* 16 &+ Int(digit)
            if size > limits.maxBodyBytes { return .fail(.contentTooLarge(limit: limits.maxBodyBytes)) }
            index += 1
        }
        if index == bytes.startIndex { return .fail(.badRequest("invalid chunk size")) }
        // Chunk extensions (BWS ";" ...) are validated for control characters and ignored.
        var rest = bytes[index...].drop { $0 == HTTPSyntax.space || $0 == HTTPSyntax.tab }
        if let first = rest.first {
            guard first == HTTPSyntax.semicolon else { return .fail(.badRequest("invalid chunk size")) }
            rest = rest.dropFirst()
            guard rest.allSatisfy(HTTPSyntax.isFieldValueByte) else {
                return .fail(.badRequest("chunk extension contains a control character"))
            }
        }
        if size == 0 {
            state = .trailerLines
            return .progressed
        }
        if body.count + size > limits.maxBodyBytes { return .fail(.contentTooLarge(limit: limits.maxBodyBytes)) }
        state = .chunkData(remaining: size)
        return .progressed
    }

    private mutating func readChunkData(remaining: Int) -> Step {
        let left = remaining - takeBodyBytes(upTo: remaining)
        if left == 0 {
            state = .chunkDataEnd
            return .progressed
        }
        state = .chunkData(remaining: left)
        return .event(.needMoreData)
    }

    private mutating func parseChunkDataEnd() -> Step {
        guard unconsumedByteCount >= 2 else {
            if unconsumedByteCount == 1 && buffer[readIndex] != HTTPSyntax.cr {
                return .fail(.badRequest("chunk data must be followed by CRLF"))
            }
            return .event(.needMoreData)
        }
        guard buffer[readIndex] == HTTPSyntax.cr, buffer[readIndex + 1] == HTTPSyntax.lf else {
            return .fail(.badRequest("chunk data must be followed by CRLF"))
        }
        readIndex += 2
        scanIndex = readIndex
        state = .chunkSizeLine
        return .progressed
    }

    private mutating func parseTrailerLine() -> Step {
        let line: Range<Int>
        switch takeLine() {
        case .bareLineFeed: return .fail(.badRequest("trailer line must end with CRLF"))
        case .incomplete(let pending):
            return trailerBytes + pending > limits.maxTrailerBytes
                ? .fail(.headerFieldsTooLarge("trailer section exceeds \(limits.maxTrailerBytes) bytes"))
                : .event(.needMoreData)
        case .line(let range): line = range
        }
        trailerBytes += line.count + 2
        if trailerBytes > limits.maxTrailerBytes {
            return .fail(.headerFieldsTooLarge("trailer section exceeds \(limits.maxTrailerBytes) bytes"))
        }
        if line.isEmpty { return complete() }
        // Trailer fields are checked for syntax and discarded: they must not alter framing or auth.
        if case .failure(let error) = Self.parseField(buffer[line]) { return .fail(error) }
        return .progressed
    }
}
