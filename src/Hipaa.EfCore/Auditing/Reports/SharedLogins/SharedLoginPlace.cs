namespace Hipaa.EfCore.Auditing.Reports;

/// <summary>One place a user id was active from during a <see cref="SharedLoginFinding"/>, and how much.</summary>
/// <param name="ClientAddress">The client address of the accesses, as recorded.</param>
/// <param name="ClientApplication">The client application of the accesses, or <see langword="null"/> when none was recorded.</param>
/// <param name="Accesses">The number of audit records from this place within the finding's time span.</param>
/// <param name="FirstAccess">The first of them.</param>
/// <param name="LastAccess">The last of them.</param>
public sealed record SharedLoginPlace(string ClientAddress, string? ClientApplication, int Accesses, DateTimeOffset FirstAccess, DateTimeOffset LastAccess)
{
    /// <summary>The place as one phrase: "10.0.0.5 via ehr-web".</summary>
    /// <returns>The client address, and the application when recorded.</returns>
    public override string ToString() => ClientApplication is null ? ClientAddress : ClientAddress + " via " + ClientApplication;
}
