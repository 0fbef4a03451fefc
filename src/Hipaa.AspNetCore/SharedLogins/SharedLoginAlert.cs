using System.Globalization;

namespace Hipaa.AspNetCore;

/// <summary>A user id seen at two places at once by the live shared-login check (<see cref="SharedLoginCheckOptions"/>).</summary>
/// <param name="ActorId">The user id.</param>
/// <param name="ClientAddress">The client address of the request that raised the alert.</param>
/// <param name="ClientApplication">Its client application, when the sign-in names one.</param>
/// <param name="OtherClientAddress">The client address the user was seen at within the window.</param>
/// <param name="OtherClientApplication">Its client application, when known.</param>
/// <param name="OtherLastSeen">When the user was last seen there.</param>
/// <param name="At">When the request arrived.</param>
/// <param name="Refused">Whether the request was refused (<see cref="SharedLoginCheckOptions.RefuseConcurrentSessions"/>).</param>
public sealed record SharedLoginAlert(
    string ActorId,
    string ClientAddress,
    string? ClientApplication,
    string OtherClientAddress,
    string? OtherClientApplication,
    DateTimeOffset OtherLastSeen,
    DateTimeOffset At,
    bool Refused)
{
    /// <summary>Gets the alert in one sentence.</summary>
    public string Explanation
    {
        get
        {
            var ending = Refused ? ", and it was refused: one session per user at a time." : ", while active at both: a shared login or a stolen credential.";
            return string.Create(
                CultureInfo.InvariantCulture,
                $"User {ActorId} made a request from {Place(ClientAddress, ClientApplication)} {(At - OtherLastSeen).TotalSeconds:0} s after one from {Place(OtherClientAddress, OtherClientApplication)}{ending}");
        }
    }

    private static string Place(string address, string? application) => application is null ? address : address + " via " + application;
}
