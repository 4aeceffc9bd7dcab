/// Where a byte offset falls in a JSON document, as a property path (`points`,
/// `grants[3].points`, `evidence.notifiedAt`): for naming the field of a value the parser
/// refused. Only the prefix before the offset is read, and it must be well-formed JSON (the
/// parser got that far); nothing is allocated but the path itself and one frame per level.
public enum JSONPath {
    private enum Frame {
        case object(key: String?)
        case array(index: Int)
    }

    /// The path of the value that starts at `offset` of `document` ("" for the document itself),
    /// or nil when the prefix does not read as JSON.
    public static func at(offset: Int, in document: [UInt8]) -> String? {
        paths(at: [offset], in: document).first ?? nil
    }

    /// The paths of the values that start at `offsets` (ascending), in one reading of the
    /// document up to the last of them; nil for an offset whose prefix does not read as JSON.
    public static func paths(at offsets: [Int], in document: [UInt8]) -> [String?] {
        var results: [String?] = []
        results.reserveCapacity(offsets.count)
        var frames: [Frame] = []
        var expectingKey = false
        var position = 0
        var broken = false
        for offset in offsets {
            guard !broken, offset >= 0, offset <= document.count, offset >= position else {
                results.append(nil)
                continue
            }
            if !walk(document, from: &position, to: offset, frames: &frames, expectingKey: &expectingKey) {
                broken = true
                results.append(nil)
                continue
            }
            results.append(render(frames))
        }
        return results
    }

    /// Reads from `position` up to `offset`, keeping the frames; false when it does not read as JSON.
    private static func walk(_ document: [UInt8], from position: inout Int, to offset: Int, frames: inout [Frame],
                             expectingKey: inout Bool) -> Bool {
        while position < offset {
            let byte = document[position]
            switch byte {
            case UInt8(ascii: "{"):
                frames.append(.object(key: nil))
                expectingKey = true
            case UInt8(ascii: "["):
                frames.append(.array(index: 0))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard frames.popLast() != nil else { return false }
                expectingKey = false
            case UInt8(ascii: ","):
                switch frames.last {
                case .array(let index)?: frames[frames.count - 1] = .array(index: index + 1)
                case .object?: expectingKey = true
                case nil: return false
                }
            case UInt8(ascii: "\""):
                guard let end = stringEnd(document, from: position, limit: offset) else { return false }
                if expectingKey, case .object? = frames.last {
                    frames[frames.count - 1] = .object(key: key(document, from: position, to: end))
                    expectingKey = false
                }
                position = end
            default:
                break
            }
            position += 1
        }
        return true
    }

    private static func render(_ frames: [Frame]) -> String {
        var path = ""
        for frame in frames {
            switch frame {
            case .object(let key?): path += path.isEmpty ? key : "." + key
            case .object(nil): break
            case .array(let index): path += "[\(index)]"
            }
        }
        return path
    }

    /// Longest key kept whole in a path; a longer one is cut, with "…" (as the readers cut unknown
    /// member names), so that many values under one long key can't multiply its length.
    public static let maxKeyScalars = 64

    /// The key whose string literal runs from the quote at `start` to the one at `end`, decoded
    /// as the parser decodes it (escapes included), cut to ``maxKeyScalars``.
    private static func key(_ document: [UInt8], from start: Int, to end: Int) -> String {
        let raw = document[(start + 1)..<end]
        var decoded = String(decoding: raw, as: UTF8.self)
        if raw.contains(UInt8(ascii: "\\")), case .string(let text)? = try? JSONParser.parse(Array(document[start...end])) {
            decoded = text
        }
        return shown(decoded)
    }

    /// `key` as a path shows it: whole up to ``maxKeyScalars``, else cut there with "…".
    public static func shown(_ key: String) -> String {
        guard key.unicodeScalars.count > maxKeyScalars else { return key }
        return String(String.UnicodeScalarView(key.unicodeScalars.prefix(maxKeyScalars))) + "…"
    }

    /// The offset of the quote that closes the string opening at `start`.
    private static func stringEnd(_ document: [UInt8], from start: Int, limit: Int) -> Int? {
        var position = start + 1
        while position < limit {
            switch document[position] {
            case UInt8(ascii: "\\"): position += 2
            case UInt8(ascii: "\""): return position
            default: position += 1
            }
        }
        return nil
    }
}
