from core.routers import Router
from friendships.views import (
    BlockListViewSet,
    FollowListViewSet,
    FollowRequestViewSet,
    MuteListViewSet,
    ProfileViewSet,
    RelationViewSet,
    SuggestionViewSet,
    UserSearchViewSet,
)

router = Router()
router.register("users", UserSearchViewSet, basename="user")
router.register("users", ProfileViewSet, basename="user-profile")
router.register("users", SuggestionViewSet, basename="user-suggestion")
router.register("users", FollowListViewSet, basename="user-follow-list")
router.register("users", RelationViewSet, basename="user-relation")
router.register("blocks", BlockListViewSet, basename="block")
router.register("mutes", MuteListViewSet, basename="mute")
router.register("follow-requests", FollowRequestViewSet, basename="follow-request")
