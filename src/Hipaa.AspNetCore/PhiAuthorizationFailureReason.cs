using Microsoft.AspNetCore.Authorization;

namespace Hipaa.AspNetCore;

/// <summary>
/// Why a PHI requirement failed, as found in <c>AuthorizationResult.Failure.FailureReasons</c>: the message is the rule id
/// and its sentence, and <see cref="Result"/> carries the whole outcome.
/// </summary>
public sealed class PhiAuthorizationFailureReason : AuthorizationFailureReason
{
    /// <summary>Creates the reason.</summary>
    /// <param name="handler">The handler that failed the requirement.</param>
    /// <param name="result">The refused outcome.</param>
    public PhiAuthorizationFailureReason(IAuthorizationHandler handler, PhiAuthorizationResult result)
        : base(handler, (result ?? throw new ArgumentNullException(nameof(result))).RuleId + ": " + result.Explanation)
    {
        Result = result;
    }

    /// <summary>The refused outcome; <see cref="PhiAuthorizationResult.ToProblemDetails"/> makes the response body.</summary>
    public PhiAuthorizationResult Result { get; }
}
