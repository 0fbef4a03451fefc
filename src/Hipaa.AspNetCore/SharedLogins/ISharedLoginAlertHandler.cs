namespace Hipaa.AspNetCore;

/// <summary>
/// Receives the alerts of the live shared-login check — to page the privacy officer, open a ticket, or lock the account.
/// Register any number as services; each is called for every alert, after it is logged (event 4109). A handler that
/// throws is logged and does not fail the request.
/// </summary>
public interface ISharedLoginAlertHandler
{
    /// <summary>Handles one alert.</summary>
    /// <param name="alert">The alert.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    /// <returns>A task that completes when the alert is handled.</returns>
    ValueTask HandleAsync(SharedLoginAlert alert, CancellationToken cancellationToken);
}
