"""Kairan's circulation models, one module per aggregate, re-exported here so that the rest
of the code (and the migrations) imports them from ``circulation.models``."""

from circulation.models.circulation import (
    Circulation,
    DeadlineExtension,
    Decision,
    Material,
    MaterialOpening,
    Recipient,
    Reply,
    material_upload_path,
)
from circulation.models.consultation import (
    Consultation,
    ConsultationItem,
    ConsultationRules,
    ItemVote,
    Result,
    Rider,
    RiderResponse,
    Statement,
    Vote,
    open_rider_filter,
)
from circulation.models.heartbeat import Heartbeat
from circulation.models.mail import (
    InboundAttachment,
    InboundMessage,
    OutboxMessage,
    inbound_attachment_path,
)
from circulation.models.meeting import Meeting, MeetingMinutes, minutes_upload_path
from circulation.models.questions import Answer, Question
from circulation.models.records import (
    Minutes,
    MinutesCheck,
    MinutesChecker,
    MinutesPart,
    MinutesVersion,
    Publication,
    RecordSettings,
)
from circulation.models.reminder import ReminderNow
from circulation.models.session import AgendaItem, Attendance, Election, SessionMaterial

__all__ = [
    "AgendaItem",
    "Answer",
    "Attendance",
    "Circulation",
    "Consultation",
    "ConsultationItem",
    "ConsultationRules",
    "DeadlineExtension",
    "Decision",
    "Election",
    "Heartbeat",
    "InboundAttachment",
    "InboundMessage",
    "ItemVote",
    "Material",
    "MaterialOpening",
    "Meeting",
    "MeetingMinutes",
    "Minutes",
    "MinutesCheck",
    "MinutesChecker",
    "MinutesPart",
    "MinutesVersion",
    "OutboxMessage",
    "Publication",
    "Question",
    "Recipient",
    "RecordSettings",
    "ReminderNow",
    "Reply",
    "Result",
    "Rider",
    "RiderResponse",
    "SessionMaterial",
    "Statement",
    "Vote",
    "inbound_attachment_path",
    "material_upload_path",
    "minutes_upload_path",
    "open_rider_filter",
]
