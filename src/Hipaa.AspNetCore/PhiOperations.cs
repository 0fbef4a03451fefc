using Hipaa.Policy;

namespace Hipaa.AspNetCore;

/// <summary>
/// The operations of resource-based PHI checks, one per <see cref="PhiAction"/>:
/// <c>await authorizationService.AuthorizeAsync(User, new PhiResource(patientId, DataCategory.PsychotherapyNote) { AuthorId = note.AuthorId }, PhiOperations.Read)</c>.
/// </summary>
public static class PhiOperations
{
    /// <summary>View the record.</summary>
    public static PhiOperationRequirement Read { get; } = new(PhiAction.Read);

    /// <summary>Create a record.</summary>
    public static PhiOperationRequirement Create { get; } = new(PhiAction.Create);

    /// <summary>Change the record.</summary>
    public static PhiOperationRequirement Update { get; } = new(PhiAction.Update);

    /// <summary>Delete the record.</summary>
    public static PhiOperationRequirement Delete { get; } = new(PhiAction.Delete);

    /// <summary>Export the record.</summary>
    public static PhiOperationRequirement Export { get; } = new(PhiAction.Export);

    /// <summary>Disclose the record to <see cref="PhiResource.Recipient"/>.</summary>
    public static PhiOperationRequirement Disclose { get; } = new(PhiAction.Disclose);

    /// <summary>The operation of an action.</summary>
    /// <param name="action">The action.</param>
    /// <returns>The shared instance for <paramref name="action"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The action is not defined.</exception>
    public static PhiOperationRequirement For(PhiAction action) => action switch
    {
        PhiAction.Read => Read,
        PhiAction.Create => Create,
        PhiAction.Update => Update,
        PhiAction.Delete => Delete,
        PhiAction.Export => Export,
        PhiAction.Disclose => Disclose,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "The action is not one of the defined PhiAction values."),
    };
}
