using Microsoft.AspNetCore.Http;

namespace Hipaa.AspNetCore;

/// <summary>
/// A refusal made before the policy engine is asked, because the request itself does not allow a decision: the sign-in
/// lacks multi-factor authentication, or the purpose of use or break-the-glass reason is missing or malformed. The ids
/// follow the engine's style and never change meaning; the sentences contain no PHI.
/// </summary>
internal sealed class PhiRefusal
{
    private PhiRefusal(string ruleId, string citation, string explanation, int statusCode)
    {
        RuleId = ruleId;
        Citation = citation;
        Explanation = explanation;
        StatusCode = statusCode;
    }

    public static PhiRefusal MfaRequired { get; } = new(
        "identity.mfa-required",
        "45 CFR 164.312(d)",
        "Denied because this practice requires multi-factor authentication for access to PHI, and the sign-in did not use an accepted method.",
        StatusCodes.Status403Forbidden);

    /// <summary>A second session of a user seen at another place within the window (<see cref="SharedLoginCheckOptions.RefuseConcurrentSessions"/>).</summary>
    public static PhiRefusal ConcurrentSession { get; } = new(
        "identity.concurrent-session",
        "45 CFR 164.312(a)(2)(i)",
        "Denied because this user id was active from another workstation moments ago, and this practice allows one session per user at a time; sign out there, or wait until that session is idle.",
        StatusCodes.Status403Forbidden);

    public string RuleId { get; }

    public string Citation { get; }

    public string Explanation { get; }

    /// <summary>403 for a denial, 400 for a malformed request.</summary>
    public int StatusCode { get; }

    public static PhiRefusal PurposeRequired(string? header) => new(
        "request.purpose-required",
        "45 CFR 164.502(b), 164.506",
        header is null
            ? "Denied because the request states no purpose of use, and none follows from the user's roles; the sign-in must carry one."
            : $"Denied because the request states no purpose of use, and none follows from the user's roles; state it in the {header} header.",
        StatusCodes.Status403Forbidden);

    public static PhiRefusal PurposeInvalid() => new(
        "request.purpose-invalid",
        "45 CFR 164.502(b), 164.506",
        "The purpose of use is not an HL7 purpose-of-use code this practice's role catalog knows; state exactly one code, such as TREAT, HPAYMT or HOPERAT.",
        StatusCodes.Status400BadRequest);

    public static PhiRefusal PurposeConflict() => new(
        "request.purpose-conflict",
        "45 CFR 164.502(b), 164.506",
        "The purpose of use stated with the request differs from the one the sign-in asserts, which binds the session; state the same purpose or none.",
        StatusCodes.Status400BadRequest);

    public static PhiRefusal BreakGlassReasonInvalid(int maxLength) => new(
        "request.break-glass-reason-invalid",
        "45 CFR 164.312(a)(2)(ii)",
        $"A break-the-glass reason is accepted only with the purpose of use ETREAT, once, and with at most {maxLength} characters.",
        StatusCodes.Status400BadRequest);
}
