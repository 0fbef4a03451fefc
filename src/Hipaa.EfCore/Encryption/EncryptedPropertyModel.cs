using System.Reflection;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Encryption;

/// <summary>One encrypted CLR property of an entity type and the shadow properties that store it.</summary>
internal sealed class EncryptedPropertyModel(PropertyInfo member, IProperty ciphertext, IProperty? blindIndex, string column)
{
    public PropertyInfo Member { get; } = member;

    public string Name => Member.Name;

    public IProperty Ciphertext { get; } = ciphertext;

    public IProperty? BlindIndex { get; } = blindIndex;

    public string Column { get; } = column;

    public FieldValueCodec Codec { get; } = FieldValueCodec.For(member.PropertyType);

    /// <summary>True when the CLR property can hold <see langword="null"/> (a reference type or <see cref="Nullable{T}"/>).</summary>
    public bool AcceptsNull { get; } = !member.PropertyType.IsValueType || Nullable.GetUnderlyingType(member.PropertyType) is not null;

    public object? GetValue(object entity) => Member.GetValue(entity);

    public void SetValue(object entity, object? value) => Member.SetValue(entity, value);
}
