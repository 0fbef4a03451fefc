namespace Hipaa.Samples.Clinic.Seed;

/// <summary>A member of the practice's staff: a user id, a role of the default catalog, a name.</summary>
/// <param name="Id">The unique user id (the <c>sub</c> claim).</param>
/// <param name="Name">The person's name.</param>
/// <param name="Role">The role, one of <c>WellKnownRoles</c>.</param>
/// <param name="Title">What the person does, in plain words.</param>
public sealed record StaffMember(string Id, string Name, string Role, string Title);
