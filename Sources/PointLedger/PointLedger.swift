/// The append-only, hash-chained, Merkle-tree-backed file ledger.
public enum PointLedger {}
