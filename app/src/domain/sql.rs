//! Domain types as Postgres `text` columns: written as their canonical text, read back through
//! their parser, so a value that does not parse is a decode error, never a silent default.

/// Implements `sqlx::Type`, `Encode`, `Decode` and `PgHasArrayType` for a type stored as `text`:
/// written with its `as_str()`, read back with its `FromStr`.
#[macro_export]
macro_rules! sql_text_type {
    ($ty:ty) => {
        impl ::sqlx::Type<::sqlx::Postgres> for $ty {
            fn type_info() -> ::sqlx::postgres::PgTypeInfo {
                <::std::string::String as ::sqlx::Type<::sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &::sqlx::postgres::PgTypeInfo) -> bool {
                <::std::string::String as ::sqlx::Type<::sqlx::Postgres>>::compatible(ty)
            }
        }

        impl ::sqlx::postgres::PgHasArrayType for $ty {
            fn array_type_info() -> ::sqlx::postgres::PgTypeInfo {
                <::std::string::String as ::sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        impl<'q> ::sqlx::Encode<'q, ::sqlx::Postgres> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut ::sqlx::postgres::PgArgumentBuffer,
            ) -> ::std::result::Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                <&str as ::sqlx::Encode<'_, ::sqlx::Postgres>>::encode_by_ref(&self.as_str(), buf)
            }
        }

        impl<'r> ::sqlx::Decode<'r, ::sqlx::Postgres> for $ty {
            fn decode(
                value: ::sqlx::postgres::PgValueRef<'r>,
            ) -> ::std::result::Result<Self, ::sqlx::error::BoxDynError> {
                let text = <&str as ::sqlx::Decode<'r, ::sqlx::Postgres>>::decode(value)?;
                text.parse::<$ty>()
                    .map_err(|e| format!("`{text}`: {e}").into())
            }
        }
    };
}

sql_text_type!(super::Symbol);
sql_text_type!(super::JobState);
sql_text_type!(super::Tier);
sql_text_type!(super::Role);
sql_text_type!(super::ApiKeyId);

impl ::sqlx::Type<::sqlx::Postgres> for super::JobId {
    fn type_info() -> ::sqlx::postgres::PgTypeInfo {
        <uuid::Uuid as ::sqlx::Type<::sqlx::Postgres>>::type_info()
    }
}

impl<'q> ::sqlx::Encode<'q, ::sqlx::Postgres> for super::JobId {
    fn encode_by_ref(
        &self,
        buf: &mut ::sqlx::postgres::PgArgumentBuffer,
    ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
        <uuid::Uuid as ::sqlx::Encode<'_, ::sqlx::Postgres>>::encode_by_ref(&self.as_uuid(), buf)
    }
}

impl<'r> ::sqlx::Decode<'r, ::sqlx::Postgres> for super::JobId {
    fn decode(value: ::sqlx::postgres::PgValueRef<'r>) -> Result<Self, ::sqlx::error::BoxDynError> {
        Ok(<uuid::Uuid as ::sqlx::Decode<'r, ::sqlx::Postgres>>::decode(value)?.into())
    }
}

impl ::sqlx::Type<::sqlx::Postgres> for super::UserId {
    fn type_info() -> ::sqlx::postgres::PgTypeInfo {
        <uuid::Uuid as ::sqlx::Type<::sqlx::Postgres>>::type_info()
    }
}

impl<'q> ::sqlx::Encode<'q, ::sqlx::Postgres> for super::UserId {
    fn encode_by_ref(
        &self,
        buf: &mut ::sqlx::postgres::PgArgumentBuffer,
    ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
        <uuid::Uuid as ::sqlx::Encode<'_, ::sqlx::Postgres>>::encode_by_ref(&self.as_uuid(), buf)
    }
}

impl<'r> ::sqlx::Decode<'r, ::sqlx::Postgres> for super::UserId {
    fn decode(value: ::sqlx::postgres::PgValueRef<'r>) -> Result<Self, ::sqlx::error::BoxDynError> {
        Ok(<uuid::Uuid as ::sqlx::Decode<'r, ::sqlx::Postgres>>::decode(value)?.into())
    }
}
