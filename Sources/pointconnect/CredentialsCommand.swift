import Foundation
import PointAPI
import PointLedger

/// `pointconnect credentials …`: staff keys in a data directory's vault (`keys/credentials.json`).
/// Merchant credentials are issued by the API when a reviewer registers a merchant.
enum CredentialsCommand {
    static func run(_ options: CommandLineOptions) throws -> Int32 {
        guard let what = options.positional.first else { throw UsageError("credentials needs a subcommand: issue or list") }
        let dataDirectory = try options.required("data-dir")
        switch what {
        case "issue":
            let keyID = try options.required("key-id")
            guard let role = CallerRole(rawValue: try options.required("role")), role != .merchant else {
                throw UsageError("--role must be reviewer, finance or auditor (merchant keys are issued when a reviewer registers the merchant)")
            }
            guard (1...64).contains(keyID.utf8.count), keyID.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw UsageError("--key-id must be 1-64 visible ASCII characters")
            }
            if let problem = Credential.staffKeyIdProblem(keyID) { throw UsageError("--key-id: \(problem)") }
            let lock = try lockAgainstRunningService(dataDirectory)
            defer { lock?.release() }
            let vault = try CredentialVault(path: ServiceAssembly.vaultPath(dataDirectory: dataDirectory))
            if vault.allCredentials.contains(where: { $0.keyID == keyID }) {
                throw UsageError("key id \(keyID) already exists in \(dataDirectory); choose another")
            }
            let secret = try CredentialVault.newSecret()
            try vault.store(CredentialVault.StoredCredential(keyID: keyID, secret: secret, role: role, merchantID: nil))
            print("key id: \(keyID)\nrole:   \(role.rawValue)\nsecret: \(secret)\n(shown once; the service loads it when it starts)")
            return 0
        case "list":
            let vault = try CredentialVault(path: ServiceAssembly.vaultPath(dataDirectory: dataDirectory))
            for credential in vault.allCredentials {
                print("\(credential.keyID)\t\(credential.role.rawValue)\t\(credential.merchantID ?? "-")")
            }
            return 0
        default:
            throw UsageError("unknown credentials subcommand \"\(what)\"; use issue or list")
        }
    }

    /// Holds the data directory's ledger lock while the vault changes: a running service keeps
    /// its own copy of the vault and writes it back whole (on a rotation, say), which would drop
    /// a key added beside it. Nil when the directory has no ledger yet (no service ever ran there).
    private static func lockAgainstRunningService(_ dataDirectory: String) throws -> LedgerDirectoryLock? {
        var isDirectory: ObjCBool = false
        let ledgerDirectory = dataDirectory + "/ledger"
        guard FileManager.default.fileExists(atPath: ledgerDirectory, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        do {
            return try LedgerDirectoryLock.acquire(ledgerDirectory)
        } catch .locked {
            throw UsageError("""
                the service is running on \(dataDirectory): it keeps its own copy of keys/credentials.json and would \
                overwrite a key added now. Stop it (SIGTERM), issue the key, then start it again; nothing was changed
                """)
        }
    }
}
