/// Taiwan's Unified Business Number (統一編號): eight digits with a weighted checksum.
///
/// Each digit is multiplied by 1,2,1,2,1,2,4,1 and the digits of each product are summed.
/// The number is valid when the total is divisible by 5 (the rule since 2023, which also
/// accepts every number valid under the older divisible-by-10 rule). When the 7th digit is 7
/// its product is 28, whose digit sum 10 counts as either 1 or 0: valid if either total is
/// divisible by 5.
public enum UnifiedBusinessNumber {
    private static let weights = [1, 2, 1, 2, 1, 2, 4, 1]

    /// Whether `value` is a well-formed, checksum-valid Unified Business Number.
    public static func isValid(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count == 8 else { return false }
        var digits: [Int] = []
        digits.reserveCapacity(8)
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return false }
            digits.append(Int(byte - UInt8(ascii: "0")))
        }
        var total = 0
        for index in 0..<8 {
            let product = digits[index] * weights[index]
            total += product / 10 + product % 10
        }
        if digits[6] == 7 {
            // The 7th term contributed 10 (2 + 8); it may count as 1 or as 0.
            let asOne = total - 10 + 1
            let asZero = total - 10
            return asOne % 5 == 0 || asZero % 5 == 0
        }
        return total % 5 == 0
    }
}
