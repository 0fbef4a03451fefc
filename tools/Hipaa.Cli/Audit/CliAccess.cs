using Hipaa.Auditing;
using Hipaa.Policy;

namespace Hipaa.Cli.Audit;

/// <summary>
/// Who the tool reads the audit trail as. Reading the trail is itself audited, so every report names an actor: the person
/// given with <c>--actor</c> (recorded as a <c>ComplianceOfficer</c>), or else the declared system actor
/// <c>system:hipaa-cli</c>. The purpose is <c>--purpose</c>, by default <c>HOVERSIGHT</c> (health oversight).
/// </summary>
internal static class CliAccess
{
    public const string SystemActorName = "hipaa-cli";

    public static AccessContext Create(string? actorId, string? purpose)
    {
        var purposeOfUse = string.IsNullOrWhiteSpace(purpose) ? PurposeOfUse.Oversight : new PurposeOfUse(purpose);
        return string.IsNullOrWhiteSpace(actorId)
            ? AccessContext.ForSystem(SystemActorName, purposeOfUse, WellKnownRoles.ComplianceOfficer)
            : new AccessContext(new Actor(actorId, [WellKnownRoles.ComplianceOfficer]), purposeOfUse) { ClientApplication = SystemActorName };
    }
}
