import Foundation
import PointAPI
import PointHTTP

/// `pointconnect sign`: prints the three LINE Pay v3 signature headers for one request, for curl.
enum SignCommand {
    static let help = """
    sign --key-id ID (--secret S | --secret-env VAR) --method METHOD --path /v1/… [--query Q]
         [--body JSON | --body-file FILE] [--nonce N] [--curl]
    """

    static func run(_ options: CommandLineOptions) throws -> Int32 {
        let keyID = try options.required("key-id")
        let secret: String
        if let given = options.value("secret") {
            secret = given
        } else if let variable = options.value("secret-env") {
            guard let fromEnvironment = ProcessInfo.processInfo.environment[variable], !fromEnvironment.isEmpty else {
                throw UsageError("environment variable \(variable) is not set")
            }
            secret = fromEnvironment
        } else {
            throw UsageError("give the secret with --secret or --secret-env")
        }
        let methodName = try options.required("method").uppercased()
        guard let method = HTTPMethod(rawValue: methodName) else { throw UsageError("unknown method \(methodName)") }
        let path = try options.required("path")
        guard path.hasPrefix("/"), !path.contains("?") else { throw UsageError("--path is the path only, starting with /; give the query with --query") }
        var body: [UInt8] = []
        if let text = options.value("body") {
            body = Array(text.utf8)
        } else if let file = options.value("body-file") {
            guard let data = FileManager.default.contents(atPath: file) else { throw UsageError("can't read --body-file \(file)") }
            body = Array(data)
        }
        let signer = RequestSigner(keyId: keyID, secret: Array(secret.utf8))
        let headers = options.value("nonce").map { signer.sign(method: method, path: path, query: options.value("query"), body: body, nonce: $0) }
            ?? signer.sign(method: method, path: path, query: options.value("query"), body: body)
        for field in headers.fields {
            if options.flag("curl") {
                print("-H '\(field.name): \(field.value)'", terminator: " ")
            } else {
                print("\(field.name): \(field.value)")
            }
        }
        if options.flag("curl") { print() }
        return 0
    }
}
