import CloudWAL
import Testing

@Suite("Option values: tags, sizes, levels, cross-option rules")
struct OptionParsingTests {
    @Test func tagPairSplitsAtFirstCommaAndTrims() throws {
        #expect(try TagParser.parsePair(" foo , bar baz ") == ObjectTag(key: "foo", value: "bar baz"))
        #expect(try TagParser.parsePair("env,a:b/c=d+e-f@g_h.i") == ObjectTag(key: "env", value: "a:b/c=d+e-f@g_h.i"))
        #expect(try TagParser.parsePair("k,") == ObjectTag(key: "k", value: ""))
    }

    @Test func csvTagsAllowQuotes() throws {
        #expect(try TagParser.parseCSV("\"b,az\",qux") == ObjectTag(key: "b,az", value: "qux"))
        #expect(try TagParser.parseCSV("foo,bar") == ObjectTag(key: "foo", value: "bar"))
    }

    @Test(arguments: [
        "no-comma", ",value", "k,v,w", "aws:key,v", "AWS:key,v", "k$,v", "k,v$", "k,line\nbreak", "k,cr\rx",
        String(repeating: "k", count: 129) + ",v", "k," + String(repeating: "v", count: 257),
    ])
    func badTagPairs(text: String) {
        #expect(throws: WALError.self) { try TagParser.parsePair(text) }
    }

    @Test(arguments: ["a,b,c", "only", "\"open,x", ",v", "k,line\nbreak"])
    func badCSVTags(text: String) {
        #expect(throws: WALError.self) { try TagParser.parseCSV(text) }
    }

    @Test func sizesLikeBarman() throws {
        #expect(try SizeParser.parse("4MB") == 4 << 20)
        #expect(try SizeParser.parse("64MB") == 64 << 20)
        #expect(try SizeParser.parse("1KB") == 1024)
        #expect(try SizeParser.parse("1MiB") == 1_000_000)
        #expect(try SizeParser.parse("512") == 512)
        #expect(throws: WALError.self) { try SizeParser.parse("4XB") }
        #expect(throws: WALError.self) { try SizeParser.parse("MB") }
        #expect(throws: WALError.self) { try SizeParser.parse("0") }
    }

    @Test func compressionLevelArguments() {
        #expect(CompressionLevel(argument: "low") == .low)
        #expect(CompressionLevel(argument: "HIGH") == .high)
        #expect(CompressionLevel(argument: "-5") == .numeric(-5))
        #expect(CompressionLevel(argument: "fast") == nil)
    }

    @Test func kmsKeyNeedsKMSEncryption() throws {
        var options = CloudOptions()
        options.sseKMSKeyID = "key"
        #expect(throws: WALError.self) { try options.validate() }
        options.encryption = .aes256
        #expect(throws: WALError.self) { try options.validate() }
        options.encryption = .kms
        try options.validate()
        options.endpointURL = "127.0.0.1:9000"
        #expect(throws: WALError.self) { try options.validate() }
    }
}
