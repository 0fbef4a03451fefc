namespace Hipaa.Cli.Breach;

/// <summary>The result of <c>hipaa breach assess</c>: who was exposed, what of it is unsecured PHI, and the deadlines.</summary>
/// <param name="Target">The compromise assessed.</param>
/// <param name="Trail">Whether the audit trail verified.</param>
/// <param name="Discovered">The date of discovery (164.404(a)(2): the first day the breach is known, or by reasonable diligence would have been).</param>
/// <param name="Patients">Patients with unsecured PHI or writes by the account, notification required first, then by id.</param>
/// <param name="SafeHarborPatients">Patients reached whose every field is under the safe harbor, by id.</param>
/// <param name="CompromisedKeys">For a key compromise, the keys treated as compromised.</param>
/// <param name="UnattributedAccesses">Accesses counted that name no patient (aggregates, raw SQL): their patients are unknown.</param>
/// <param name="UnattributedEntities">The entities of those accesses.</param>
/// <param name="Notes">Caveats specific to this assessment, one sentence each.</param>
internal sealed record BreachAssessment(
    BreachTarget Target,
    TrailStatus Trail,
    DateOnly Discovered,
    IReadOnlyList<PatientExposure> Patients,
    IReadOnlyList<string> SafeHarborPatients,
    IReadOnlyList<CompromisedKey> CompromisedKeys,
    int UnattributedAccesses,
    IReadOnlyList<string> UnattributedEntities,
    IReadOnlyList<string> Notes)
{
    /// <summary>The threshold of 164.406 and 164.408(b).</summary>
    public const int LargeBreachThreshold = 500;

    /// <summary>164.404(b): individuals are notified without unreasonable delay and no later than 60 calendar days after discovery.</summary>
    public DateOnly NotificationDeadline => Discovered.AddDays(60);

    /// <summary>164.408(c): a breach of fewer than 500 individuals is logged and reported to HHS within 60 days after the end of the calendar year of discovery.</summary>
    public DateOnly AnnualHhsDeadline => new DateOnly(Discovered.Year, 12, 31).AddDays(60);

    /// <summary>The patients whose unsecured PHI was reached.</summary>
    public int IndividualsToNotify => Patients.Count(p => p.NotificationRequired);
}
