using Hipaa.Auditing;
using Hipaa.Policy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hipaa.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A small patient API, as an EHR would write it with Hipaa.AspNetCore: category policies on the routes (by object and by
/// name), resource checks for psychotherapy notes and disclosures, the field mask applied to diagnoses. Every response
/// echoes the ambient access context so that tests can see what downstream code would see.
/// </summary>
public static class PatientApi
{
    public static readonly Dictionary<string, (string PatientId, string AuthorId, string Text)> PsychotherapyNotes = new()
    {
        ["n-ther"] = ("p1", "u-ther", "process notes of the therapist"),
        ["n-psy"] = ("p1", "u-psy", "process notes of the psychiatrist"),
    };

    public static void Map(WebApplication app)
    {
        RouteGroupBuilder patient = app.MapGroup("/patients/{patientId}");

        patient.MapGet("/progress-notes", (string patientId, HttpContext http) =>
                Results.Ok(new { patientId, notes = new[] { "progress note 1", "progress note 2" }, context = Context(http) }))
            .RequireAuthorization(PhiPolicy.For(DataCategory.ProgressNote, PhiAction.Read));

        patient.MapGet("/medications", (string patientId, HttpContext http) =>
                Results.Ok(new { patientId, medications = new[] { "sertraline 50 mg" }, context = Context(http) }))
            .RequireAuthorization("phi:Medication:Read");

        patient.MapGet("/claims", (string patientId, HttpContext http) =>
                Results.Ok(new { patientId, claims = new[] { "claim 90837" }, context = Context(http) }))
            .RequireAuthorization(PhiPolicy.Name(DataCategory.Claim, PhiAction.Read));

        patient.MapGet("/demographics", (string patientId, HttpContext http) =>
                Results.Ok(new { patientId, name = "Pat Example", context = Context(http) }))
            .RequireAuthorization(PhiPolicy.For(DataCategory.Demographics, PhiAction.Read));

        patient.MapGet("/diagnoses", (string patientId, HttpContext http) =>
            {
                var diagnosis = new Dictionary<string, string>
                {
                    ["Code"] = "F33.1",
                    ["CodeSystem"] = "ICD-10-CM",
                    ["Display"] = "Major depressive disorder, recurrent, moderate",
                    ["Narrative"] = "narrative that billing must not see",
                };
                FieldMask? mask = http.GetPhiAuthorization()!.FieldMask;
                Dictionary<string, string> shown = mask is null ? diagnosis : diagnosis.Where(f => mask.IsVisible(f.Key)).ToDictionary();
                return Results.Ok(new { patientId, diagnosis = shown, context = Context(http) });
            })
            .RequireAuthorization(PhiPolicy.For(DataCategory.Diagnosis, PhiAction.Read));

        patient.MapGet("/psychotherapy-notes/{noteId}", async (string patientId, string noteId, HttpContext http, IAuthorizationService authorization) =>
            {
                if (!PsychotherapyNotes.TryGetValue(noteId, out var note) || note.PatientId != patientId)
                {
                    return Results.NotFound();
                }

                var resource = new PhiResource(patientId, DataCategory.PsychotherapyNote)
                {
                    AuthorId = note.AuthorId,
                    Labels = [SensitivityLabel.PsychotherapyNote],
                };
                AuthorizationResult result = await authorization.AuthorizeAsync(http.User, resource, PhiOperations.Read);
                if (!result.Succeeded)
                {
                    PhiAuthorizationFailureReason reason = result.Failure!.FailureReasons.OfType<PhiAuthorizationFailureReason>().Single();
                    return Results.Problem(reason.Result.ToProblemDetails());
                }

                return Results.Ok(new { noteId, note.Text, context = Context(http) });
            })
            .RequireAuthorization(PhiPolicy.For(DataCategory.PsychotherapyNote, PhiAction.Read));

        patient.MapPost("/progress-notes/disclosures", async (string patientId, string recipient, HttpContext http, IPhiAuthorization phi) =>
            {
                PhiAuthorizationResult result = await phi.DecideAsync(
                    http,
                    new PhiResource(patientId, DataCategory.ProgressNote) { Labels = [SensitivityLabel.SubstanceUseDisorder], Recipient = recipient },
                    PhiAction.Disclose);
                if (!result.Succeeded)
                {
                    return Results.Problem(result.ToProblemDetails());
                }

                return Results.Ok(new
                {
                    patientId,
                    recipient,
                    redisclosureNotice = result.HasObligation(Obligation.RedisclosureNotice) ? "42 CFR part 2 prohibits unauthorized use or disclosure of these records." : null,
                    consentId = result.Decision!.ConsentId,
                });
            })
            .RequireAuthorization();

        app.MapGet("/context", async (HttpContext http) =>
            {
                object? before = Context(http);
                await Task.Delay(Random.Shared.Next(0, 15), http.RequestAborted);
                return Results.Ok(new { before, after = Context(http) });
            })
            .RequireAuthorization();

        app.MapGet("/anonymous/context", (HttpContext http) => Results.Ok(new { context = Context(http) }));

        app.MapPost("/login", async (HttpContext http, int? persistentHours, TimeProvider time) =>
        {
            AuthenticateResult test = await http.AuthenticateAsync(TestAuthenticationHandler.SchemeName);
            if (!test.Succeeded)
            {
                return Results.Unauthorized();
            }

            var properties = new AuthenticationProperties();
            if (persistentHours is { } hours)
            {
                properties.IsPersistent = true;
                properties.ExpiresUtc = time.GetUtcNow().AddHours(hours);
            }

            await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, test.Principal!, properties);
            return Results.NoContent();
        });
    }

    private static object? Context(HttpContext http) => AccessContext.Current is { } context
        ? new
        {
            actorId = context.Actor.Id,
            purpose = context.PurposeOfUse.Code,
            requestId = context.RequestId,
            clientAddress = context.ClientAddress,
            clientApplication = context.ClientApplication,
            breakGlassReason = context.BreakGlassReason,
            traceIdentifier = http.TraceIdentifier,
        }
        : null;
}
