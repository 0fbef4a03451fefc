using System.Globalization;
using System.Security.Claims;
using Hipaa.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hipaa.AspNetCore;

/// <summary>
/// Turns a request and a record (or a category) into an <see cref="AccessRequest"/>, asks the engine, records the outcome in
/// <see cref="PhiAuthorizationFeature"/> and the obligations header. Shared by the requirement handlers and
/// <see cref="IPhiAuthorization"/>.
/// </summary>
internal sealed class PhiAuthorizationService(
    PolicyEngine engine,
    PhiRequestResolver resolver,
    TimeProvider timeProvider,
    IOptions<PhiAuthorizationOptions> options,
    IServiceProvider services,
    ILogger<PhiAuthorizationService> logger) : IPhiAuthorization
{
    private const string UnidentifiedPatient = "-";
    private readonly PhiAuthorizationOptions _options = options.Value;

    public Task<PhiAuthorizationResult> DecideAsync(HttpContext httpContext, PhiResource resource, PhiAction action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        return DecideResourceAsync(httpContext, httpContext.User, resource, action, cancellationToken);
    }

    public async Task<PhiAuthorizationResult> DecideResourceAsync(
        HttpContext? httpContext,
        ClaimsPrincipal user,
        PhiResource resource,
        PhiAction action,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(resource);
        if (!Enum.IsDefined(action) || action == PhiAction.Reencrypt)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "The action is not one an HTTP request can ask for: use Read, Create, Update, Delete, Export or Disclose (Reencrypt is key maintenance, done by FieldEncryptionKeyManager).");
        }

        PhiRequestInfo info = await resolver.ResolveAsync(user, httpContext, cancellationToken).ConfigureAwait(false);
        PhiAuthorizationResult result;
        if (info.Refusal is { } refusal)
        {
            result = new PhiAuthorizationResult(refusal, resource.Category, action, resource.PatientId);
        }
        else
        {
            IReadOnlyList<Consent> consents = [];
            bool consentsMatter = resource.Category.IsSeparatelyKeptNote || action is PhiAction.Disclose or PhiAction.Export;
            if (consentsMatter && info.CanBeginAccessContext
                && (httpContext?.RequestServices ?? services).GetService<IConsentStore>() is { } consentStore)
            {
                consents = await consentStore.ListAsync(resource.PatientId, cancellationToken).ConfigureAwait(false);
            }

            AccessDecision decision = engine.Decide(new AccessRequest
            {
                Actor = info.Actor,
                PatientId = resource.PatientId,
                Category = resource.Category,
                Labels = resource.Labels,
                AuthorId = resource.AuthorId,
                Action = action,
                Purpose = PurposeFor(info),
                Recipient = resource.Recipient,
                BreakGlassReason = info.BreakGlassReason,
                Consents = consents,
                CourtOrder = resource.CourtOrder,
                At = timeProvider.GetUtcNow(),
            });
            result = new PhiAuthorizationResult(decision, resource.Category, action, resource.PatientId, _options.DeniedRecords == PhiDeniedRecordResponse.NotFound);
        }

        await RecordAsync(httpContext, info, result, resource).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// The category-level check of a <see cref="PhiRequirement"/>: for the route's patient when there is one, otherwise for
    /// a patient the actor treats (the ordinally first of the care team) or, with no care team, for the actor's own record
    /// (a patient role's; a clinical role then meets the care-team rule, unless break-the-glass lifts it). The actor's care
    /// team is never widened for the decision. The author of a separately kept note is taken to be the actor, so the check
    /// is a gate: the endpoint checks the loaded note itself.
    /// </summary>
    public async Task<PhiAuthorizationResult> DecideCategoryAsync(
        HttpContext? httpContext,
        ClaimsPrincipal user,
        DataCategory category,
        PhiAction action,
        CancellationToken cancellationToken)
    {
        PhiRequestInfo info = await resolver.ResolveAsync(user, httpContext, cancellationToken).ConfigureAwait(false);
        string? routePatient = RoutePatient(httpContext);
        PhiAuthorizationResult result;
        if (info.Refusal is { } refusal)
        {
            result = new PhiAuthorizationResult(refusal, category, action, routePatient);
        }
        else
        {
            Actor actor = info.Actor;

            // No patient in sight: decide for a patient the actor really treats (or is), never by adding the patient to the
            // care team for the decision — a clinician who treats no one must not pass a gate that a lookup by id follows.
            string patientId = routePatient ?? FirstOfCareTeam(actor) ?? actor.Id ?? UnidentifiedPatient;
            AccessDecision decision = engine.Decide(new AccessRequest
            {
                Actor = actor,
                PatientId = patientId,
                Category = category,
                AuthorId = actor.Id,
                Action = action,
                Purpose = PurposeFor(info),
                BreakGlassReason = info.BreakGlassReason,
                At = timeProvider.GetUtcNow(),
            });
            result = new PhiAuthorizationResult(decision, category, action, routePatient);
        }

        await RecordAsync(httpContext, info, result, null).ConfigureAwait(false);
        return result;
    }

    private static string? FirstOfCareTeam(Actor actor)
    {
        string? first = null;
        foreach (string patientId in actor.CareTeamOf)
        {
            if (first is null || string.CompareOrdinal(patientId, first) < 0)
            {
                first = patientId;
            }
        }

        return first;
    }

    /// <summary>The request's purpose; for an unidentified or shared actor any purpose will do, as the identity rules decide first.</summary>
    private static PurposeOfUse PurposeFor(PhiRequestInfo info) => info.Purpose.IsEmpty ? PurposeOfUse.Treatment : info.Purpose;

    private string? RoutePatient(HttpContext? httpContext)
    {
        if (httpContext is null || _options.PatientIdRouteValue is not { } name || !httpContext.Request.RouteValues.TryGetValue(name, out object? value))
        {
            return null;
        }

        string? patientId = Convert.ToString(value, CultureInfo.InvariantCulture);
        return string.IsNullOrWhiteSpace(patientId) ? null : patientId;
    }

    private async Task RecordAsync(HttpContext? httpContext, PhiRequestInfo info, PhiAuthorizationResult result, PhiResource? resource)
    {
        if (result.Succeeded)
        {
            Log.PhiAccessPermitted(logger, result.RuleId, result.Action, result.Category);
        }
        else
        {
            Log.PhiAccessDenied(logger, result.RuleId, result.Action, result.Category);
        }

        if (httpContext is null)
        {
            return;
        }

        if (!result.Succeeded)
        {
            // Every refused attempt is in the audit trail, whichever way the check was asked for.
            await PhiRefusalAudit.RecordAsync(httpContext, info, result, resource).ConfigureAwait(false);
        }

        PhiAuthorizationFeature? feature = httpContext.Features.Get<PhiAuthorizationFeature>();
        if (feature is null)
        {
            feature = new PhiAuthorizationFeature();
            httpContext.Features.Set(feature);
            if (_options.ObligationsHeader is { } header && !httpContext.Response.HasStarted)
            {
                httpContext.Response.OnStarting(static state =>
                {
                    var (response, feature, header) = ((HttpResponse, PhiAuthorizationFeature, string))state;
                    IReadOnlyList<Obligation> obligations = feature.Obligations;
                    if (obligations.Count > 0)
                    {
                        response.Headers[header] = string.Join(", ", obligations);
                    }

                    return Task.CompletedTask;
                }, (httpContext.Response, feature, header));
            }
        }

        feature.Add(result);
    }
}
