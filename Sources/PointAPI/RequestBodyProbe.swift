import PointCore
import PointJSON

/// The request-body readers of the merchant endpoints, exposed to the fuzzing harness
/// (`Sources/PointFuzzTargets`) only, through `@_spi(Fuzzing)`. Each runs exactly what the
/// endpoint runs before it touches the service: parse, read the fields, `finish()`.
@_spi(Fuzzing) public enum RequestBodyProbe {
    /// The body of POST /v1/grants.
    public static func grant(_ body: [UInt8], merchantID: String) -> Result<GrantPointsCommand, APIError> {
        read(body) { APIApplication.readGrant($0, merchantID: merchantID, checkSyntax: true) }
    }

    /// The body of POST /v1/grants/batch (the direct reader, else the general one).
    public static func grantBatch(_ body: [UInt8], merchantID: String) -> Result<[GrantPointsCommand], APIError> {
        do throws(APIError) {
            return .success(try APIApplication.readGrantBatch(body, merchantID: merchantID))
        } catch {
            return .failure(error)
        }
    }

    /// The body of POST /v1/grants/{orderId}/revocations.
    public static func revocation(_ body: [UInt8], merchantID: String, orderID: String) -> Result<RevokePointsCommand, APIError> {
        read(body) { APIApplication.readRevocation($0, merchantID: merchantID, orderID: orderID) }
    }

    private static func read<Value>(_ body: [UInt8], _ fields: (JSONObjectReader) -> Value) -> Result<Value, APIError> {
        do throws(APIError) {
            let reader = try JSONObjectReader.parse(body)
            let value = fields(reader)
            try reader.finish()
            return .success(value)
        } catch {
            return .failure(error)
        }
    }
}
