/// The identity a verified LINE Login ID token proved: the API layer verifies the token's
/// signature, issuer, expiry and nonce, then hands the domain its subject and audience.
public struct VerifiedLineLogin: Sendable, Equatable {
    /// `sub`: the LINE user ID.
    public var lineUserID: String
    /// `aud`: the LINE Login channel the token was issued for.
    public var audience: String

    public init(lineUserID: String, audience: String) {
        self.lineUserID = lineUserID
        self.audience = audience
    }
}

extension PointsDomain {
    /// Binds a merchant's member to the LINE user of a verified ID token. Binding the same pair
    /// again is a replay; a LINE user already bound to another member is refused (a fraud signal).
    public func decide(bind memberID: String, merchantID: String, login: VerifiedLineLogin) throws(DomainError) -> Decision {
        // A suspended merchant's resend of a binding that exists is still answered (below).
        let merchant = try existingMerchant(merchantID)
        if merchant.status != .suspended { _ = try operatingMerchant(merchantID, action: "bind users") }
        if !Identifiers.isValidExternalID(memberID) {
            throw DomainError.invalid([DomainError.Detail(property: "memberId", message: "must be \(Identifiers.externalIDRule)")])
        }
        guard Identifiers.isValidLineUserID(login.lineUserID) else {
            throw DomainError(.rejected, code: "id_token_bad_subject",
                              message: "The ID token's subject is not a LINE user ID (U followed by 32 lowercase hex digits).")
        }
        guard let environment = merchant.activeEnvironment, let access = merchant.access(environment),
            login.audience == access.loginChannelID
        else {
            throw DomainError(.rejected, code: "id_token_wrong_audience",
                              message: "The ID token was issued for LINE Login channel \(login.audience), not this merchant's \(merchant.activeEnvironment?.rawValue ?? "") channel; log the user in with the channel linked to your POINT Connect Official Account.")
        }
        if let existing = binding(merchantID: merchantID, memberID: memberID), existing.lineUserID == login.lineUserID {
            return .replay(seq: existing.seq, time: existing.boundAt)
        }
        _ = try operatingMerchant(merchantID, action: "bind users")
        // A LINE user claimed by a second member is the fraud signal, whether or not the claiming
        // member is bound already, so it is checked first.
        if binding(merchantID: merchantID, lineUserID: login.lineUserID) != nil {
            throw DomainError(.conflict, code: "line_user_bound_to_other_member",
                              message: "This LINE user is already bound to another of your members; one LINE user can be bound to only one member. The attempt has been logged.")
        }
        if binding(merchantID: merchantID, memberID: memberID) != nil {
            throw DomainError(.conflict, code: "member_already_bound",
                              message: "Member \(memberID) is already bound to another LINE user; unbind it first if the member changed LINE accounts.")
        }
        if bindings.count >= limits.maxBindings {
            throw DomainError(.rejected, code: "limit_reached", message: "The service holds its maximum of \(limits.maxBindings) bindings.")
        }
        return .append(.userBound(merchantID: merchantID, memberID: memberID, lineUserID: login.lineUserID))
    }

    /// Removes the binding of `memberID`; its history stays in the ledger.
    public func decide(unbind memberID: String, merchantID: String) throws(DomainError) -> Decision {
        let merchant = try existingMerchant(merchantID)
        let existing = binding(merchantID: merchantID, memberID: memberID)
        // Unbound already and not bound again since: the same DELETE sent again after a lost
        // answer, answered as a replay (it writes nothing) whatever the merchant's status now —
        // as a grant sent again is.
        if existing == nil, let slot = merchantIndex[merchantID], let unbinding = lastUnbinding[MerchantScoped(merchant: slot, id: memberID)] {
            return .replay(unbinding)
        }
        guard merchant.status != .terminated else {
            throw DomainError(.forbidden, code: "merchant_terminated", message: "Merchant \(merchantID) is terminated; its data can only be read.")
        }
        guard let existing else {
            throw DomainError(.notFound, code: "binding_not_found", message: "Member \(memberID) is not bound to a LINE user.")
        }
        return .append(.userUnbound(merchantID: merchantID, memberID: memberID, lineUserID: existing.lineUserID))
    }

    /// The merchant, if it may operate (sandbox or production, not suspended or terminated).
    func operatingMerchant(_ merchantID: String, action: String) throws(DomainError) -> Merchant {
        let merchant = try existingMerchant(merchantID)
        switch merchant.status {
        case .sandbox, .production:
            return merchant
        case .applied:
            throw DomainError(.forbidden, code: "merchant_not_onboarded",
                              message: "Merchant \(merchantID) has applied but has no sandbox or production environment yet, so it can't \(action); finish onboarding first.")
        case .suspended:
            throw DomainError(.forbidden, code: "merchant_suspended",
                              message: "Merchant \(merchantID) is suspended and can't \(action); reads still work. Contact the platform.")
        case .terminated:
            throw DomainError(.forbidden, code: "merchant_terminated", message: "Merchant \(merchantID) is terminated; its data can only be read.")
        }
    }
}
