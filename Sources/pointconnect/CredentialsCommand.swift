import PointAPI

/// `pointconnect credentials …`: staff keys in a data directory's vault (`keys/credentials.json`).
/// Merchant credentials are issued by the API when a reviewer registers a merchant.
enum CredentialsCommand {
    static func run(_ options: CommandLineOptions) throws -> Int32 {
        guard let what = options.positional.first else { throw UsageError("credentials needs a subcommand: issue or list") }
        let dataDirectory = try options.required("data-dir")
        let vault = try CredentialVault(path: ServiceAssembly.vaultPath(dataDirectory: dataDirectory))
        switch what {
        case "issue":
            let keyID = try options.required("key-id")
            guard let role = CallerRole(rawValue: try options.required("role")), role != .merchant else {
                throw UsageError("--role must be reviewer, finance or auditor (merchant keys are issued when a reviewer registers the merchant)")
            }
            guard (1...64).contains(keyID.utf8.count), keyID.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw UsageError("--key-id must be 1-64 visible ASCII characters")
            }
            if vault.allCredentials.contains(where: { $0.keyID == keyID }) {
                throw UsageError("key id \(keyID) already exists in \(dataDirectory); choose another")
            }
            let secret = try CredentialVault.newSecret()
            try vault.store(CredentialVault.StoredCredential(keyID: keyID, secret: secret, role: role, merchantID: nil))
            print("key id: \(keyID)\nrole:   \(role.rawValue)\nsecret: \(secret)\n(shown once; restart the service to load it)")
            return 0
        case "list":
            for credential in vault.allCredentials {
                print("\(credential.keyID)\t\(credential.role.rawValue)\t\(credential.merchantID ?? "-")")
            }
            return 0
        default:
            throw UsageError("unknown credentials subcommand \"\(what)\"; use issue or list")
        }
    }
}
