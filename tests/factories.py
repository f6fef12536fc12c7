"""factory_boy factories: the building blocks of the personas in conftest.py."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from circulation.models import Circulation, Recipient, Reply
from portal.models import Committee, Membership, Role, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.jp")
    full_name = factory.Sequence(lambda n: f"試験 太郎{n}")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def verified(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        # Invitation acceptance verifies the address; test people start verified.
        if create and extracted is not False:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"試験審議会{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    committee = factory.SubFactory(CommitteeFactory)
    role = Role.MEMBER
    term_start = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365))
    term_end = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))


class CirculationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Circulation

    committee = factory.SubFactory(CommitteeFactory)
    title = factory.Sequence(lambda n: f"第{n}回 管理運用会議の議事録について")
    explanation = "資料をご確認のうえ、ご意見をお寄せください。"
    deadline = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    created_by = factory.SubFactory(UserFactory)


class RecipientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recipient

    circulation = factory.SubFactory(CirculationFactory)
    user = factory.SubFactory(UserFactory)


class ReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reply

    recipient = factory.SubFactory(RecipientFactory)
    version = 1
    kind = Reply.Kind.NO_OPINION
