using System.Globalization;
using Hipaa.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Hipaa.AspNetCore;

/// <summary>
/// The outcome of one PHI check in a request: the engine's <see cref="AccessDecision"/> (with its obligations and field
/// mask) or the refusal made before the engine was asked, and what it was about. A permit's obligations are the
/// endpoint's to fulfil: attach the 42 CFR 2.32 notice, apply the <see cref="FieldMask"/>. A refusal becomes the
/// response with <see cref="ToHttpResult"/> (or its ProblemDetails body with <see cref="ToProblemDetails"/>).
/// </summary>
public sealed class PhiAuthorizationResult
{
    private readonly PhiRefusal? _refusal;

    internal PhiAuthorizationResult(AccessDecision decision, DataCategory category, PhiAction action, string? patientId, bool concealsRecord = false)
    {
        Decision = decision;
        Category = category;
        Action = action;
        PatientId = patientId;
        ConcealsRecord = concealsRecord && !decision.IsPermitted;
    }

    internal PhiAuthorizationResult(PhiRefusal refusal, DataCategory category, PhiAction action, string? patientId)
    {
        _refusal = refusal;
        Category = category;
        Action = action;
        PatientId = patientId;
    }

    /// <summary>Whether the access is permitted.</summary>
    public bool Succeeded => Decision is { IsPermitted: true };

    /// <summary>
    /// The policy engine's decision, or <see langword="null"/> when the request was refused before the engine was asked
    /// (multi-factor authentication missing, purpose of use missing or malformed).
    /// </summary>
    public AccessDecision? Decision { get; }

    /// <summary>The id of the rule that decided, e.g. <c>matrix.care-team-required</c> or <c>identity.mfa-required</c>.</summary>
    public string RuleId => Decision?.Rule.Id ?? _refusal!.RuleId;

    /// <summary>The legal citation of the deciding rule.</summary>
    public string Citation => Decision?.Rule.Citation ?? _refusal!.Citation;

    /// <summary>The decision in one sentence, free of PHI.</summary>
    public string Explanation => Decision?.Explanation ?? _refusal!.Explanation;

    /// <summary>What the endpoint must do when acting on the permit; empty for a refusal.</summary>
    public IReadOnlyList<Obligation> Obligations => Succeeded ? Decision!.Obligations : [];

    /// <summary>With <see cref="Obligation.MaskFields"/>: the only fields the endpoint may return; otherwise <see langword="null"/>.</summary>
    public FieldMask? FieldMask => Succeeded ? Decision!.FieldMask : null;

    /// <summary>The data category checked.</summary>
    public DataCategory Category { get; }

    /// <summary>The action checked.</summary>
    public PhiAction Action { get; }

    /// <summary>The patient checked, or <see langword="null"/> for a category-level check without a patient in the route.</summary>
    public string? PatientId { get; }

    /// <summary>
    /// Whether the refusal is about one record and the practice answers such refusals as a record that does not exist
    /// (<see cref="PhiAuthorizationOptions.DeniedRecords"/> = <see cref="PhiDeniedRecordResponse.NotFound"/>).
    /// </summary>
    internal bool ConcealsRecord { get; }

    /// <summary>The HTTP status a refusal answers with: 403 for a denial (404 for a concealed record), 400 for a malformed request; 200 for a permit.</summary>
    internal int StatusCode => Succeeded ? StatusCodes.Status200OK
        : ConcealsRecord ? StatusCodes.Status404NotFound
        : _refusal?.StatusCode ?? StatusCodes.Status403Forbidden;

    /// <summary>Whether the permit carries <paramref name="obligation"/>.</summary>
    /// <param name="obligation">The obligation.</param>
    /// <returns><see langword="true"/> when the endpoint must fulfil it.</returns>
    public bool HasObligation(Obligation obligation) => Succeeded && Decision!.HasObligation(obligation);

    /// <summary>
    /// The refusal as an RFC 9457 problem: status 403 (400 for a malformed purpose of use or break-the-glass reason), the
    /// explanation as <c>detail</c>, and the extensions <c>ruleId</c> and <c>citation</c>. No PHI: no patient or user id.
    /// </summary>
    /// <returns>The problem; write it with <c>Results.Problem(result.ToProblemDetails())</c>.</returns>
    /// <exception cref="InvalidOperationException">The access is permitted.</exception>
    /// <remarks>
    /// When the practice does not confirm the existence of records it refuses (<see cref="PhiAuthorizationOptions.DeniedRecords"/>
    /// = <see cref="PhiDeniedRecordResponse.NotFound"/>) and this is a resource check, the problem is a plain 404 without
    /// the rule; <see cref="ToHttpResult"/> answers exactly as <c>Results.NotFound()</c> does.
    /// </remarks>
    public ProblemDetails ToProblemDetails()
    {
        if (Succeeded)
        {
            throw new InvalidOperationException("The PHI access is permitted; only a refusal has a problem to report.");
        }

        return ConcealsRecord ? CreateNotFound() : CreateProblem(StatusCode, RuleId, Citation, Explanation);
    }

    /// <summary>
    /// The refusal as the endpoint's response: the problem of <see cref="ToProblemDetails"/> — or, for a resource check when
    /// the practice does not confirm existence (<see cref="PhiDeniedRecordResponse.NotFound"/>), a bare 404 exactly like
    /// <c>Results.NotFound()</c>, so that a refused record and a missing one cannot be told apart.
    /// </summary>
    /// <returns>The result to return from the endpoint.</returns>
    /// <exception cref="InvalidOperationException">The access is permitted.</exception>
    public IResult ToHttpResult()
    {
        if (Succeeded)
        {
            throw new InvalidOperationException("The PHI access is permitted; only a refusal has a response to give.");
        }

        return ConcealsRecord ? Results.NotFound() : Results.Problem(ToProblemDetails());
    }

    internal static ProblemDetails CreateNotFound() => new()
    {
        Status = StatusCodes.Status404NotFound,
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        Title = "Not Found",
    };

    internal static ProblemDetails CreateProblem(int statusCode, string ruleId, string citation, string explanation)
    {
        bool badRequest = statusCode == StatusCodes.Status400BadRequest;
        return new ProblemDetails
        {
            Status = statusCode,
            Type = badRequest ? "https://tools.ietf.org/html/rfc9110#section-15.5.1" : "https://tools.ietf.org/html/rfc9110#section-15.5.4",
            Title = badRequest ? "The request cannot be evaluated for access to protected health information." : "Access to protected health information denied.",
            Detail = explanation,
            Extensions =
            {
                ["ruleId"] = ruleId,
                ["citation"] = citation,
            },
        };
    }

    /// <summary>For example <c>"Deny (matrix.not-permitted) ProgressNote Read"</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(Succeeded ? "Permit" : "Deny")} ({RuleId}) {Category} {Action}");
}
