import Foundation
import PointCore
import PointCrypto
import PointLedger

/// Builds a running API from a data directory: the ledger and domain (``PointService``), the
/// credential vault, the authenticator and the application.
public enum ServiceAssembly {
    /// Where the vault lives inside a data directory.
    public static func vaultPath(dataDirectory: String) -> String { dataDirectory + "/keys/credentials.json" }

    /// A service with the sandbox defaults: test merchants, scenarios and staff keys seeded into
    /// the ledger (once) and their secrets into the vault.
    public static func sandbox(
        dataDirectory: String, defaults: SandboxDefaults, clock: ServiceClock, ledgerOptions: LedgerOptions = LedgerOptions(),
        fileSystem: any LedgerFileSystem = PosixFileSystem(), metrics: ServiceMetrics = ServiceMetrics(),
        requestLines: (any RequestLineSink)? = nil, log: @escaping @Sendable (String) -> Void
    ) async throws -> APIApplication {
        let service = try PointService.open(dataDirectory: dataDirectory, clock: clock, options: ledgerOptions,
                                            checkpointOptions: checkpointOptions(origin: "pointconnect.sandbox/ledger", log: log),
                                            fileSystem: fileSystem, log: log, commitObserver: metrics.ledgerCommitted)
        try await defaults.seed(into: service)
        let vault = try CredentialVault(path: vaultPath(dataDirectory: dataDirectory))
        for merchant in defaults.merchants {
            try vault.store(CredentialVault.StoredCredential(keyID: merchant.channelID, secret: merchant.channelSecret, role: .merchant,
                                                             merchantID: merchant.register.merchantID))
            try vault.storeLoginChannelSecret(merchant.loginChannelSecret, channelID: merchant.loginChannelID)
        }
        for key in defaults.staff {
            guard let role = CallerRole(rawValue: key.role), role != .merchant else {
                throw CredentialVaultError("sandbox defaults: staff key \(key.keyID) has role \(key.role); use reviewer, finance or auditor")
            }
            try vault.store(CredentialVault.StoredCredential(keyID: key.keyID, secret: key.secret, role: role, merchantID: nil))
        }
        return try application(service: service, vault: vault, deployment: .sandbox, clock: clock, metrics: metrics,
                               requestLines: requestLines, log: log)
    }

    /// A production service: credentials only from the vault, no clock override.
    public static func production(
        dataDirectory: String, jwks: JSONWebKeySet?, trustedProxies: IPAllowlist, ledgerOptions: LedgerOptions = LedgerOptions(),
        origin: String = "pointconnect.production/ledger", metrics: ServiceMetrics = ServiceMetrics(),
        requestLines: (any RequestLineSink)? = nil, log: @escaping @Sendable (String) -> Void
    ) throws -> APIApplication {
        let service = try PointService.open(dataDirectory: dataDirectory, clock: .system, options: ledgerOptions,
                                            checkpointOptions: checkpointOptions(origin: origin, log: log), log: log,
                                            commitObserver: metrics.ledgerCommitted)
        let vault = try CredentialVault(path: vaultPath(dataDirectory: dataDirectory))
        return try application(service: service, vault: vault, deployment: .production, clock: .system, jwks: jwks,
                               trustedProxies: trustedProxies, metrics: metrics, requestLines: requestLines, log: log)
    }

    /// Checkpoints every 10,000 records or every second while records wait, signed as `origin`
    /// (the sandbox's clock override never reaches checkpoint times: they are real time).
    static func checkpointOptions(origin: String, log: @escaping @Sendable (String) -> Void) -> CheckpointOptions {
        CheckpointOptions(origin: origin, everyRecords: 10_000, intervalMilliseconds: 1_000, log: log)
    }

    static func application(
        service: PointService, vault: CredentialVault, deployment: ServiceEnvironment, clock: ServiceClock,
        jwks: JSONWebKeySet? = nil, trustedProxies: IPAllowlist = IPAllowlist(networks: []), metrics: ServiceMetrics,
        requestLines: (any RequestLineSink)? = nil, log: @escaping @Sendable (String) -> Void
    ) throws -> APIApplication {
        let store = try CredentialStore()
        for stored in vault.allCredentials {
            try store.add(Credential(keyId: stored.keyID, secret: Array(stored.secret.utf8), role: stored.role, merchantId: stored.merchantID,
                                     environment: deployment))
            if !stored.previous.isEmpty {
                try store.restorePrevious(keyId: stored.keyID, secrets: stored.previous.map { (Array($0.secret.utf8), $0.validUntil) })
            }
        }
        let replayCache = NonceReplayCache(clock: clock)
        // Rotations answered before a restart stay refused as replays until their window ends.
        let now = clock.unixMilliseconds()
        for remembered in vault.allRememberedNonces where remembered.until > now {
            try? replayCache.record(keyId: remembered.keyID, nonce: remembered.nonce, retainUntil: remembered.until)
        }
        let authenticator = RequestAuthenticator(credentials: store, replayCache: replayCache, clock: clock)
        return try APIApplication(service: service, authenticator: authenticator, vault: vault, deployment: deployment,
                                  trustedProxies: trustedProxies, jwks: jwks, metrics: metrics, requestLines: requestLines, log: log)
    }
}
