import Testing
@testable import PointAPI

@Suite struct RequestIDGeneratorTests {
    @Test func idsAreUniqueFixedLengthHex() async {
        let generator = RequestIDGenerator()
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask { (0..<5_000).map { _ in generator.next() } }
            }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(Set(ids).count == 20_000)
        #expect(ids.allSatisfy { $0.utf8.count == 32 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } })
        #expect(RequestIDGenerator().next().prefix(16) != generator.next().prefix(16))
    }

    @Test func idsAreDeterministicWithAFixedSeed() {
        let generator = RequestIDGenerator(prefix: 0xABCD, start: 0xFFFF_FFFF_FFFF_FFFF)
        #expect(generator.next() == "000000000000abcdffffffffffffffff")
        #expect(generator.next() == "000000000000abcd0000000000000000")
    }
}
