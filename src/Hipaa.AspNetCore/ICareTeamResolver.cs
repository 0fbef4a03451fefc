using System.Security.Claims;

namespace Hipaa.AspNetCore;

/// <summary>
/// Finds the patients a user has a treatment relationship with, for example from the EHR's assignments table. Register an
/// implementation (scoped or singleton) to complement or replace the care-team claim; it is asked at most once per
/// request, only for a user with a unique user id, and its answer is added to the claim's patient ids.
/// </summary>
public interface ICareTeamResolver
{
    /// <summary>Lists the ids of the patients <paramref name="userId"/> treats.</summary>
    /// <param name="user">The signed-in principal.</param>
    /// <param name="userId">The principal's unique user id.</param>
    /// <param name="cancellationToken">Cancels the look-up (the request was aborted).</param>
    /// <returns>The patient ids; empty when none.</returns>
    Task<IReadOnlyCollection<string>> GetPatientIdsAsync(ClaimsPrincipal user, string userId, CancellationToken cancellationToken = default);
}
