using System.Security.Claims;
using Hipaa.Policy;

namespace Hipaa.AspNetCore;

/// <summary>
/// How <c>AddPhiAuthorization()</c> turns an HTTP request into a policy decision: the role catalog, which claims carry
/// the user id, roles, organization and care team, the purpose-of-use and break-the-glass headers, the multi-factor
/// requirement and the automatic logoff. Validated at start-up; every problem is listed at once.
/// </summary>
/// <remarks>
/// Collections bound from configuration add to the defaults (the configuration binder appends); call <c>Clear()</c> in
/// code first to replace them.
/// </remarks>
public sealed class PhiAuthorizationOptions
{
    /// <summary>
    /// The role matrix the policy engine decides with. Default: <see cref="RoleCatalog.CreateDefault"/>, the
    /// behavioral-health catalog of docs/policy.md; change it in place or assign another. It is validated at start-up
    /// (<see cref="RoleCatalog.Validate"/>) and the engine takes a snapshot, so later changes do not reach it.
    /// </summary>
    public RoleCatalog Catalog { get; set; } = RoleCatalog.CreateDefault();

    /// <summary>
    /// The claim types that carry the unique user id, tried in order; the first non-blank value wins. A principal with
    /// none is denied every PHI access (45 CFR 164.312(a)(2)(i)). Default: <c>sub</c>, then
    /// <see cref="ClaimTypes.NameIdentifier"/> (where JWT handlers map <c>sub</c>).
    /// </summary>
    public IList<string> UserIdClaimTypes { get; } = ["sub", ClaimTypes.NameIdentifier];

    /// <summary>
    /// The claim types whose values are role names of the <see cref="Catalog"/>. Default: <c>role</c>, <c>roles</c> and
    /// <see cref="ClaimTypes.Role"/>. Role names the catalog does not define give nothing.
    /// </summary>
    public IList<string> RoleClaimTypes { get; } = ["role", "roles", ClaimTypes.Role];

    /// <summary>
    /// The claim type of the user's organization. Without the claim the user belongs to the practice
    /// (<see cref="RoleCatalog.PracticeOrganization"/>): the application is the practice's own record system. Default
    /// <c>org</c>.
    /// </summary>
    public string OrganizationClaimType { get; set; } = "org";

    /// <summary>
    /// The claim type whose values (one claim per patient) are the ids of the patients the user has a treatment
    /// relationship with; <see langword="null"/> to ignore claims. An <see cref="ICareTeamResolver"/> registered in the
    /// services adds to these. Default <c>care_team</c>.
    /// </summary>
    public string? CareTeamClaimType { get; set; } = "care_team";

    /// <summary>
    /// The claim type whose values (one claim per patient) are the ids of the patients whose personal representative the
    /// user is (45 CFR 164.502(g): a parent, a guardian, a health care agent), which a role with the patient trait then
    /// reaches as the patient would (<see cref="Actor.RepresentativeOf"/>). Who represents whom is the practice's
    /// determination, so this is opt-in: issue the claim only from that determination. Default <see langword="null"/>:
    /// no representation is read from the token.
    /// </summary>
    public string? PersonalRepresentativeClaimType { get; set; }

    /// <summary>
    /// User ids of known shared or generic accounts (a front-desk login, a kiosk), compared ignoring case. They are
    /// denied every PHI access (rule <c>identity.shared-account</c>). Default: none.
    /// </summary>
    public ISet<string> SharedAccounts { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether a PHI access needs a sign-in with multi-factor authentication, read from the <see cref="MfaClaimTypes"/>
    /// claims (45 CFR 164.312(d)). Default <see langword="false"/>.
    /// </summary>
    public bool RequireMfa { get; set; }

    /// <summary>
    /// The claim types carrying the authentication methods (RFC 8176 values). Default: <c>amr</c> and
    /// <see cref="ClaimTypes.AuthenticationMethod"/> (where JWT handlers map <c>amr</c>).
    /// </summary>
    public IList<string> MfaClaimTypes { get; } = ["amr", ClaimTypes.AuthenticationMethod];

    /// <summary>
    /// The authentication-method values that count as multi-factor, compared ignoring case. Default: <c>mfa</c>,
    /// <c>otp</c>, <c>hwk</c>.
    /// </summary>
    public ISet<string> AcceptedMfaMethods { get; } = new HashSet<string>(["mfa", "otp", "hwk"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The request header in which the client states the HL7 purpose of use for one request (exactly one code, e.g.
    /// <c>TREAT</c> or <c>ETREAT</c>); <see langword="null"/> to ignore headers. It wins over the role default; when the
    /// sign-in asserts a purpose (<see cref="PurposeOfUseClaimType"/>) the header may only repeat it. Default
    /// <c>X-Purpose-Of-Use</c>.
    /// </summary>
    public string? PurposeOfUseHeader { get; set; } = "X-Purpose-Of-Use";

    /// <summary>
    /// The claim type carrying the purpose of use the identity provider authorized for the whole session; it binds the
    /// session (a header naming another purpose is refused with 400); <see langword="null"/> to ignore claims. Default
    /// <c>purpose_of_use</c>.
    /// </summary>
    public string? PurposeOfUseClaimType { get; set; } = "purpose_of_use";

    /// <summary>
    /// The purpose of use a role acts for when the request states none (role name → HL7 code). When the user's roles give
    /// different defaults, the request must state one. Default: the clinical roles <c>TREAT</c>, Billing <c>HPAYMT</c>,
    /// FrontDesk and ComplianceOfficer <c>HOPERAT</c>, Patient <c>PATRQT</c>.
    /// </summary>
    public IDictionary<string, string> DefaultPurposeOfUse { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [WellKnownRoles.Therapist] = "TREAT",
        [WellKnownRoles.Psychiatrist] = "TREAT",
        [WellKnownRoles.Nurse] = "TREAT",
        [WellKnownRoles.ClinicalSupervisor] = "TREAT",
        [WellKnownRoles.Billing] = "HPAYMT",
        [WellKnownRoles.FrontDesk] = "HOPERAT",
        [WellKnownRoles.ComplianceOfficer] = "HOPERAT",
        [WellKnownRoles.Patient] = "PATRQT",
    };

    /// <summary>
    /// The request header carrying the emergency reason of a break-the-glass request (purpose <c>ETREAT</c>);
    /// <see langword="null"/> to ignore headers. Default <c>X-Break-Glass-Reason</c>.
    /// </summary>
    public string? BreakGlassReasonHeader { get; set; } = "X-Break-Glass-Reason";

    /// <summary>
    /// The claim type carrying the emergency reason of an identity provider that runs its own break-the-glass step. It is
    /// used only when the header is absent and the sign-in also asserts purpose <c>ETREAT</c>
    /// (<see cref="PurposeOfUseClaimType"/>), i.e. the whole session is the emergency; on any other session the claim is
    /// ignored, because a token is not a per-request declaration. <see langword="null"/> to ignore claims. Default
    /// <c>break_glass_reason</c>.
    /// </summary>
    public string? BreakGlassReasonClaimType { get; set; } = "break_glass_reason";

    /// <summary>The longest break-the-glass reason accepted, in characters. Default 500.</summary>
    public int MaxBreakGlassReasonLength { get; set; } = 500;

    /// <summary>
    /// The claim types naming the client application, tried in order, for the access context. Default: <c>azp</c>, then
    /// <c>client_id</c>.
    /// </summary>
    public IList<string> ClientApplicationClaimTypes { get; } = ["azp", "client_id"];

    /// <summary>
    /// The route value holding the patient id of a category policy (<see cref="PhiPolicy.For"/>): on a route such as
    /// <c>/patients/{patientId}/progress-notes</c> the decision is made for that patient, care team included.
    /// <see langword="null"/> to always decide at category level. Default <c>patientId</c>.
    /// </summary>
    public string? PatientIdRouteValue { get; set; } = "patientId";

    /// <summary>
    /// How a refusal of the one record a request asked for is answered — a <see cref="PhiResource"/> check, or an EF Core
    /// read that enforcement refused (with <c>UseHipaaAccessContext()</c>, a read the policy denies of a row outside the
    /// route's patient is refused, never returned redacted): 403 naming the rule, or 404 as for a record that does not
    /// exist. Category-level refusals stay 403, as they say nothing about any record. Default
    /// <see cref="PhiDeniedRecordResponse.Forbidden"/>.
    /// </summary>
    public PhiDeniedRecordResponse DeniedRecords { get; set; } = PhiDeniedRecordResponse.Forbidden;

    /// <summary>
    /// The response header listing the obligations of the request's permitted PHI decisions (e.g.
    /// <c>BreakGlassReview, MaskFields</c>), so that a client can show that an access is flagged; <see langword="null"/>
    /// to send none. Default <c>X-Phi-Obligations</c>.
    /// </summary>
    public string? ObligationsHeader { get; set; } = "X-Phi-Obligations";

    /// <summary>
    /// Automatic logoff (45 CFR 164.312(a)(2)(iii)): a cookie session without a request for this long is signed out. Every
    /// cookie authentication scheme gets sliding expiration and an expiry no longer than this. <see langword="null"/>
    /// disables it (for applications whose sessions another component ends). Default 15 minutes.
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Gets the live shared-login check of <c>UseHipaaAccessContext()</c>: on by default (alerts only); see
    /// <see cref="SharedLoginCheckOptions"/>. The audit trail's report (<c>hipaa audit shared-logins</c>) covers every instance.
    /// </summary>
    public SharedLoginCheckOptions SharedLogins { get; } = new();
}
