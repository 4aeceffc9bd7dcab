/// The request methods the server accepts; any other well-formed method gets 501.
public enum HTTPMethod: String, Sendable, Hashable, CaseIterable {
    case get = "GET"
    case head = "HEAD"
    case post = "POST"
    case put = "PUT"
    case patch = "PATCH"
    case delete = "DELETE"
    case options = "OPTIONS"

    /// Whether a request with this method must declare how long its body is (else 411).
    var requiresDeclaredBodyLength: Bool {
        switch self {
        case .post, .put, .patch: return true
        case .get, .head, .delete, .options: return false
        }
    }

    /// Matches the exact, case-sensitive method token.
    init?(token: ArraySlice<UInt8>) {
        switch token.count {
        case 3:
            if token.elementsEqual("GET".utf8) { self = .get; return }
            if token.elementsEqual("PUT".utf8) { self = .put; return }
        case 4:
            if token.elementsEqual("HEAD".utf8) { self = .head; return }
            if token.elementsEqual("POST".utf8) { self = .post; return }
        case 5:
            if token.elementsEqual("PATCH".utf8) { self = .patch; return }
        case 6:
            if token.elementsEqual("DELETE".utf8) { self = .delete; return }
        case 7:
            if token.elementsEqual("OPTIONS".utf8) { self = .options; return }
        default:
            break
        }
        return nil
    }
}

/// The protocol versions the server speaks.
public enum HTTPVersion: String, Sendable, Hashable {
    case http1_0 = "HTTP/1.0"
    case http1_1 = "HTTP/1.1"
}
