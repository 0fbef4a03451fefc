namespace Hipaa;

/// <summary>
/// Marks the property that holds the id of the patient a record belongs to (on the patient entity itself, its key).
/// Field encryption uses it for per-patient key scope and binds ciphertexts to it; auditing records it per access.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class PatientIdAttribute : Attribute
{
}
