namespace Hipaa.AspNetCore;

/// <summary>
/// How a request is answered when the policy refuses the one record it asked for: a resource check
/// (<see cref="PhiResource"/>) or an EF Core read refused by enforcement. Set with
/// <see cref="PhiAuthorizationOptions.DeniedRecords"/>. Either way the refusal is in the audit trail with its rule.
/// </summary>
public enum PhiDeniedRecordResponse
{
    /// <summary>403 with a ProblemDetails body naming the rule (<c>ruleId</c>, <c>citation</c>). The default.</summary>
    Forbidden = 0,

    /// <summary>
    /// 404 with no body, as a record that does not exist is answered, so that the response does not confirm that the record
    /// exists (the idea of HL7's "not acknowledged", <c>NONACK</c>). For practices that prefer not to confirm existence to
    /// users who may not see the record; the rule is then only in the audit trail.
    /// </summary>
    NotFound = 1,
}
